package io.metacluster.engine;

import io.netty.buffer.ByteBuf;

/**
 * A client's request waiting for its turn: the session answers requests strictly in the
 * order they came, so a reply that is ready early waits here until the ones before it are.
 */
class Slot {
    /** The reply to write, or {@code null} to write nothing (quiet modes). Owned by the slot. */
    ByteBuf reply;
    boolean done;
    /** Close the connection once this reply is written (QUIT, protocol errors). */
    boolean closeAfter;

    /** Sends the request on its way; answered requests (local answers) have nothing to send. */
    void start() {
    }

    void answer(ByteBuf reply) {
        this.reply = reply;
        this.done = true;
    }
}
