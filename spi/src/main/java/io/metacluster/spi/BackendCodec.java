package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.List;

/**
 * The protocol, as seen from one backend connection: what to send right after connecting and
 * how to split the backend's byte stream into replies, matched first-in first-out with the
 * requests sent.
 *
 * <p>One instance per backend connection, created by {@link Protocol#newBackendCodec}. Called
 * only on the connection's event loop; must not block.
 */
public interface BackendCodec {

    /**
     * Requests to send after connecting, before any client traffic (AUTH, SELECT, ...). Each must
     * produce exactly one reply; an error reply to any of them fails the connection. Ownership of
     * the buffers passes to the caller. Include a cheap request that proves the server answers
     * (PING, version): a stopped process still completes TCP handshakes, and the connection is
     * only used once every handshake reply came, within the connect timeout. The engine sends the
     * handshake again as a heartbeat on an idle connection and as the probe a node must answer
     * before missed writes are replayed to it: each request must be harmless to repeat.
     */
    default List<ByteBuf> handshake(ByteBufAllocator alloc) {
        return List.of();
    }

    /**
     * The length of the complete reply at {@code in}'s reader index, without consuming anything.
     *
     * @param request the request this reply answers (for protocols whose reply shape depends on
     *                the request, like memcached text), or {@code null} for a handshake reply
     * @return the length in bytes, or -1 when the reply is not complete yet
     * @throws ProtocolException when the bytes cannot be a reply: the engine closes the connection
     */
    int replyLength(ByteBuf in, Command request) throws ProtocolException;

    /**
     * Whether the reply at {@code reply}'s reader index reports a failure (Redis {@code -ERR},
     * memcached {@code SERVER_ERROR}, a binary error status) rather than a result. Write policies
     * count failures by this, and a handshake reply that is one fails the connection. The buffer
     * may hold more bytes after the reply (the engine asks before it slices the reply off, and may
     * not slice it at all); read only within the {@link #replyLength} just returned, and change no
     * index. A protocol gives the same answer here as in its {@link ReplyVerification#isError},
     * which takes its arguments in the same order.
     *
     * @param request the request this reply answers, or {@code null} for a handshake reply
     * @param reply   borrowed: neither retained nor released
     */
    boolean isError(Command request, ByteBuf reply);
}
