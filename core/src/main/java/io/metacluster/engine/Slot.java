package io.metacluster.engine;

import io.netty.buffer.ByteBuf;

/**
 * A client's request waiting for its turn: the {@link ReplyQueue} answers requests strictly in
 * the order they came, so a reply that is ready early waits here until the ones before it are.
 */
class Slot {
    /** The reply to write, or {@code null} to write nothing (quiet modes). Owned by the slot. */
    ByteBuf reply;
    boolean done;
    /** Close the connection once this reply is written (QUIT, protocol errors). */
    boolean closeAfter;
    /** Drop the reply instead of writing it: the client asked not to be answered (Redis CLIENT REPLY). */
    boolean silent;

    /** Sends the request on its way; answered requests (local answers) have nothing to send. */
    void start() {
    }

    /** Whether the client's later requests must wait until this one is done (see {@link Parking}). */
    boolean conditional() {
        return false;
    }

    void answer(ByteBuf reply) {
        this.reply = reply;
        this.done = true;
    }

    private boolean dequeued;
    private boolean finished;

    /** The reply queue took the slot off its line and wrote its reply: it no longer refers to it. */
    final void dequeued() {
        dequeued = true;
        reuseIfUnused();
    }

    /** The request needs nothing more from the backends: every reply came and its command is released. */
    final void finished() {
        finished = true;
        reuseIfUnused();
    }

    private void reuseIfUnused() {
        if (dequeued && finished) {
            reuse();
        }
    }

    /** Nothing refers to this slot any more: a subclass may hand itself back to its client's {@link RequestPool}. */
    void reuse() {
    }

    /** Back to the state of a new slot, for reuse. */
    void clear() {
        reply = null;
        done = false;
        closeAfter = false;
        silent = false;
        dequeued = false;
        finished = false;
    }
}
