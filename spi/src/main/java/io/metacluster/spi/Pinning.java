package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

/**
 * A protocol's rules for a client pinned to a backend connection of its own
 * ({@link CommandKind#PINNED}, Redis pub/sub): which of the client's commands go to that
 * connection while it is pinned, and which message from the connection ends the pinned mode.
 *
 * <p>Handed out by {@link ClientCodec#pinning()}; only asked while the client is pinned, i.e.
 * after a {@link CommandKind#PINNED} command and until {@link #endsPinning} said so.
 * <b>Threads:</b> called on the client connection's event loop, must not block; an
 * implementation without state may be shared by every connection.
 */
public interface Pinning {

    /** What becomes of a client's command while it is pinned. */
    enum Route {
        /** Sent on the pinned connection; its replies come back with the connection's other messages. */
        FORWARD,
        /** Handled as it would be unpinned (e.g. QUIT, answered by the proxy, or an unknown command's own error). */
        AS_USUAL,
        /** Not allowed in this mode: answered with {@link #refusal}'s error, never sent. */
        REFUSE
    }

    /** Where {@code command} goes while the client is pinned. {@code command} is borrowed. */
    Route whilePinned(Command command);

    /**
     * The error text a {@link Route#REFUSE}d command is answered with (through
     * {@link ClientCodec#error}). {@code command} is borrowed.
     */
    String refusal(Command command);

    /**
     * Whether {@code message}, one complete message from the pinned backend connection (framed by
     * {@link BackendCodec#replyLength} with no request), ends the pinned mode (Redis: the reply
     * that leaves no subscription, or RESET's). After it is written to the client, the engine
     * closes the pinned connection and routes the client's requests as usual again. The message
     * is borrowed: neither retained nor released here, and its indexes are left as they are.
     */
    boolean endsPinning(ByteBuf message);
}
