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
 *
 * <p>What only some protocols do lives in capability interfaces of their own, which the codec hands
 * out from an accessor ({@code null}: the protocol does not do it): {@link #splitter()} (a
 * multi-key command split over the nodes of a sharded cluster), {@link #pinning()} (a client with
 * a backend connection of its own), {@link #conditionalWrites()} (a write decided by one
 * cluster, then propagated) and {@link #reports()} (server reports gathered from every node). The engine asks the accessor when it needs the capability, so an
 * accessor should return a ready object (a field or a constant), not build one.
 *
 * <p>To change a shipped protocol (e.g. answer one more Redis command), extend
 * {@link ForwardingClientCodec} around that protocol's codec and override only what differs.
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
     * The client connection closed: release whatever the codec still holds (e.g. the commands of
     * a Redis transaction queued until EXEC). Called once; no other method is called after it.
     */
    default void closed() {
    }

    /**
     * How this protocol splits a multi-key command over the nodes of a sharded cluster and joins
     * the parts' replies, or {@code null} (the default) when it does not: a command whose keys are
     * on several nodes then cannot be served by that cluster.
     */
    default CommandSplitter splitter() {
        return null;
    }

    /**
     * What a client may send while it has a backend connection of its own, and which message of
     * that connection ends it. Must not be {@code null} when {@link #decode} can return a
     * {@link CommandKind#PINNED} command; the default, {@code null}, suits a protocol that has none.
     */
    default Pinning pinning() {
        return null;
    }

    /**
     * The unconditional writes that propagate an applied conditional write to the other clusters.
     * Must not be {@code null} when {@link #decode} can return a
     * {@link CommandKind#CONDITIONAL_WRITE} command; the default, {@code null}, suits a protocol
     * that has none.
     */
    default ConditionalWrites conditionalWrites() {
        return null;
    }

    /**
     * How this protocol answers its reports about the server (memcached {@code stats}, Redis
     * {@code INFO}) from every node of the serving cluster plus the proxy's figures, or {@code null}
     * (the default) when it does not: such a request is then an ordinary read (or answered by the
     * codec itself).
     *
     * @since SPI 0.2.2
     */
    default ServerReports reports() {
        return null;
    }

    /**
     * What monitoring clients are shown of this connection's requests (Redis {@code MONITOR}), or
     * {@code null} (the default) when the protocol shows them nothing. Asked only while a client of
     * the listener monitors.
     *
     * @since SPI 0.2.3
     */
    default Monitoring monitoring() {
        return null;
    }

    /**
     * Whether a pause of writes ({@link ClientContext#pauseClients} with {@code writesOnly}; Redis
     * {@code CLIENT PAUSE ... WRITE}) holds {@code command}, a command just decoded (after
     * admission, before routing). The default holds what goes to every cluster or changes one:
     * {@link CommandKind#WRITE} and {@link CommandKind#CONDITIONAL_WRITE}. {@code command} is
     * borrowed. Called on the client connection's event loop; must not block.
     */
    default boolean heldByWritePause(Command command) {
        return command.kind() == CommandKind.WRITE || command.kind() == CommandKind.CONDITIONAL_WRITE;
    }

    /**
     * For an {@link CommandKind#ASIDE} command that acts on another client of the listener through
     * its pinned connection (Redis {@code CLIENT UNBLOCK}), what to do ({@link PeerAside});
     * {@code null} (the default) for an ASIDE command that goes to every node of every cluster.
     * {@code command} is borrowed.
     */
    default PeerAside peerAside(Command command) {
        return null;
    }
}
