package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

import java.io.IOException;

/**
 * A connection of its own to one node, for background work ({@link NodeSync#copy}): already
 * authenticated and with its database selected (the protocol's {@link BackendCodec#handshake}),
 * used by one thread, off the event loops, blocking. Requests may be pipelined: send several, then
 * read their replies in order.
 */
public interface NodeLink {

    /** Splits the next reply off the bytes received so far. */
    @FunctionalInterface
    interface Framer {
        /**
         * The length of the complete reply at {@code in}'s reader index, without consuming
         * anything; -1 when it is not complete yet.
         *
         * @throws ProtocolException when the bytes cannot be a reply
         */
        int length(ByteBuf in) throws ProtocolException;
    }

    /** Queues {@code request} (ownership passes); it is flushed at the next {@link #read}. */
    void send(ByteBuf request);

    /**
     * Waits for the next reply, as {@code framer} delimits it, and hands it over (the caller
     * releases it).
     *
     * @throws IOException when the connection breaks, the node takes longer than the request
     *                     timeout, or the bytes are not a reply ({@code framer} threw)
     */
    ByteBuf read(Framer framer) throws IOException;
}
