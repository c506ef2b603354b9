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
     *         was advanced past it; or {@code null} when the frame is not complete yet, in which
     *         case the reader index must be left where it was
     * @throws ProtocolException for malformed input or a violated {@link ClientLimits}; the
     *         engine sends {@link #error} with the message and closes the connection
     */
    Command decode(ByteBuf in) throws ProtocolException;

    /**
     * Answers an {@link CommandKind#ADMIN} command. The returned buffer is written to the client
     * in request order; ownership passes to the engine. Returns {@code null} to send nothing.
     */
    ByteBuf answer(Command command, ClientContext context);

    /**
     * An error reply in this protocol (Redis {@code -ERR ...}, memcached {@code SERVER_ERROR ...}).
     *
     * @param command the request being answered, or {@code null} for a connection-level error
     *                (after a {@link ProtocolException})
     * @param message single-line text
     */
    ByteBuf error(ByteBufAllocator alloc, Command command, String message);

    /**
     * Whether the client is shown a backend's reply to {@code command}. Protocols with quiet
     * modes (memcached {@code noreply}, meta {@code q}, binary quiet opcodes) forward such
     * requests so that the backend always answers, and hide the answers the client did not ask
     * for here. The reply is not retained by this call.
     */
    default boolean showsReply(Command command, ByteBuf reply) {
        return true;
    }
}
