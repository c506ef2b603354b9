package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The protocol, as seen from one client connection: splits the client's bytes into
 * {@link Command}s and renders the replies the proxy writes itself.
 *
 * <p>One instance per client connection, created by {@link Protocol#newClientCodec}; it may keep
 * per-connection state (e.g. memcached text versus binary). Every method is called on that
 * connection's event loop and must not block.
 */
public interface ClientCodec {

    /**
     * Decodes the next complete request at {@code in}'s reader index.
     *
     * @return the command, whose frame is a retained slice of {@code in} and whose reader index
     *         was advanced past it; or {@code null} when no command is complete yet. A codec may
     *         consume bytes and still return {@code null} (e.g. while discarding an oversized value
     *         as it arrives); the engine calls again while bytes are consumed or commands returned
     * @throws ProtocolException for malformed input or a violated {@link ClientLimits}; the
     *         engine sends {@link #error} with the message and closes the connection
     */
    Command decode(ByteBuf in) throws ProtocolException;

    /**
     * Answers an {@link CommandKind#ADMIN} command. The returned buffer is written to the client
     * in request order; ownership passes to the engine. Returns {@code null} to send nothing.
     * Authentication commands are ADMIN commands; they use {@link ClientContext#authenticate},
     * and the others must answer as the protocol does for an unauthenticated client while
     * {@link ClientContext#authenticated()} is false.
     */
    ByteBuf answer(Command command, ClientContext context);

    /**
     * An error reply in this protocol (Redis {@code -ERR ...}, memcached {@code SERVER_ERROR ...}).
     *
     * @param command the request being answered, or {@code null} for a connection-level error
     *                (after a {@link ProtocolException})
     * @param message single-line text
     * @return the reply, or {@code null} when the protocol answers nothing (memcached {@code noreply})
     */
    ByteBuf error(ByteBufAllocator alloc, Command command, String message);

    /**
     * Whether {@code reply} says the key was not found (Redis nil, memcached {@code END} with no
     * value, {@code EN}, binary "key not found"). Used by the listener's {@code miss-failover}:
     * a miss from one cluster is retried once on another before the client sees it. The reply
     * is not retained by this call.
     */
    default boolean isMiss(Command command, ByteBuf reply) {
        return false;
    }

    /**
     * The answer to a command (other than {@link CommandKind#ADMIN}, which {@link #answer} handles)
     * from a client that has not authenticated on a listener that requires it.
     */
    default ByteBuf authenticationRequired(ByteBufAllocator alloc, Command command) {
        return error(alloc, command, "NOAUTH Authentication required.");
    }

    /**
     * What the client is shown of a backend's reply to {@code command}. Protocols with quiet
     * modes (memcached {@code noreply}, meta {@code q}, binary quiet opcodes) forward such
     * requests in their loud form so that the backend always answers (replies are matched in
     * order, and failed writes must be seen), and hide here what the client did not ask for.
     *
     * @param reply the backend's reply; ownership passes to this method. It is a writable slice
     *              that may be adjusted in place (e.g. a header byte)
     * @return the buffer to write (usually {@code reply}), or {@code null} to write nothing, in
     *         which case {@code reply} must have been released
     */
    default ByteBuf present(Command command, ByteBuf reply) {
        return reply;
    }

    /**
     * For a {@link CommandKind#CONDITIONAL_WRITE} that the serving cluster applied: the
     * unconditional write that brings the other clusters to the same state (memcached: the
     * {@code cas}'s value as a plain {@code set} with the same flags and exptime), or
     * {@code null} when there is nothing to propagate (the reply says it was not applied).
     * The returned command is owned by the engine. {@code reply} is not retained by this call.
     */
    default Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        return null;
    }

    /**
     * For a read or write whose keys live on different nodes of a sharded cluster: the same
     * request for only some of its keys, or {@code null} when the protocol cannot split this
     * command (the cluster then cannot serve it). The engine sends one part per node and joins
     * their replies with {@link #join}. A split write is not atomic across the nodes.
     *
     * @param keys  indexes into {@code command}'s keys, ascending; the part asks for these only
     * @param count how many entries of {@code keys} are used
     * @return a new command owned by the caller
     */
    default Command part(Command command, int[] keys, int count) {
        return null;
    }

    /**
     * The reply the whole {@code command} would have had, from the replies to its
     * {@link #part parts}. Called once every part was answered without an error.
     *
     * @param replies      the parts' replies, in the order of {@code keysOfParts}; owned by this method
     * @param keysOfParts  for each part, the key indexes it asked for
     */
    default ByteBuf join(Command command, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc) {
        throw new UnsupportedOperationException("a protocol that splits commands must join their replies");
    }

    /** {@link #whilePinned}: the command goes to the pinned connection. */
    String FORWARD = null;
    /** {@link #whilePinned}: the command is handled as it would be unpinned (e.g. QUIT, answered by the proxy). */
    String AS_USUAL = "";

    /**
     * While the connection is pinned ({@link CommandKind#PINNED}): {@link #FORWARD},
     * {@link #AS_USUAL}, or the error text the client is answered with instead.
     */
    default String whilePinned(Command command) {
        return FORWARD;
    }

    /**
     * While pinned: whether {@code message}, one complete message from the pinned backend
     * connection (framed by {@link BackendCodec#replyLength} with no request), ends the pinned
     * mode (Redis: the reply that leaves no subscription, or RESET's). After it is written, the
     * engine closes the pinned connection and routes the client's requests as usual again.
     * The message is not retained by this call.
     */
    default boolean endsPinning(ByteBuf message) {
        return false;
    }

    /**
     * The client connection closed: release whatever the codec still holds (e.g. the commands of
     * a Redis transaction queued until EXEC). Called once; no other method is called after it.
     */
    default void closed() {
    }
}
