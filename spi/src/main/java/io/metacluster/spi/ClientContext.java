package io.metacluster.spi;

import io.netty.buffer.ByteBufAllocator;

import java.util.List;

/**
 * What a {@link ClientCodec} may see and do of its client connection while answering a
 * command locally. Only valid on the connection's event loop during the call.
 */
public interface ClientContext {
    /** Allocator for replies. */
    ByteBufAllocator alloc();

    /** A number unique to this connection for the life of the process (Redis {@code CLIENT ID}). */
    long id();

    /** The client's remote address as {@code host:port}. */
    String remoteAddress();

    /** The local address the client connected to, as {@code host:port} (Redis's {@code laddr}). */
    default String localAddress() {
        return "";
    }

    /**
     * Every client connection of this listener that is open now, this one included, oldest first
     * (Redis's {@code CLIENT LIST} and {@code CLIENT KILL}); one {@link ClientPeer#kill}ed is left out
     * at once, though it closes on its own thread. A new list per call, owned by the caller.
     */
    default List<ClientPeer> clients() {
        return List.of();
    }

    /**
     * Makes {@code state} this connection's {@link ClientPeer#published()}, for other connections'
     * codecs to describe it (its name, database...). {@code state} is read from other threads:
     * the codec makes it safe to (immutable, or volatile fields).
     */
    default void publish(Object state) {
    }

    /** The listener's name, as configured. */
    String listenerName();

    /** Whether the listener makes clients authenticate ({@code auth} in its config). */
    default boolean authRequired() {
        return false;
    }

    /** Whether this connection may use the backends: it authenticated, or no authentication is required. */
    default boolean authenticated() {
        return true;
    }

    /**
     * Checks credentials against the listener's; when they are right the connection is
     * authenticated from now on. Constant-time in the password.
     *
     * @param username the user, or {@code null} for the default user (a password alone)
     */
    default boolean authenticate(String username, String password) {
        return false;
    }

    /** Close the connection once the reply of the current command (and every earlier one) is written. */
    void closeAfterReply();
}
