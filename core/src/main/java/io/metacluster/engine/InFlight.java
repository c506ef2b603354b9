package io.metacluster.engine;

import io.metacluster.spi.Command;

/** A request written to a node connection, waiting for its reply (replies come back in order). */
final class InFlight {
    final Command command;
    final ReplyListener listener;
    final long sentAtNanos;
    /** A client's write: if its reply never comes, the node's replay log keeps it. */
    final boolean write;

    InFlight(Command command, ReplyListener listener, long sentAtNanos, boolean write) {
        this.command = command;
        this.listener = listener;
        this.sentAtNanos = sentAtNanos;
        this.write = write;
    }
}
