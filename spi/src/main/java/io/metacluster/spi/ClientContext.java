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

    /**
     * Pauses the listener's clients (Redis {@code CLIENT PAUSE}), on every I/O thread, this
     * connection included: a client's next command that the pause holds waits, and with it
     * everything the client sent after it (left unread, so the client's order holds), until
     * {@code endMillis} (on the {@link System#currentTimeMillis} clock) or
     * {@link #unpauseClients}. With {@code writesOnly} only the commands that
     * {@link ClientCodec#heldByWritePause} names are held, otherwise all (but those refused at
     * once, {@link CommandKind#UNSUPPORTED}). While a pause is on, the later end and the
     * stronger mode win. The backends are not paused: their other clients are none of this
     * listener's. The default does nothing.
     */
    default void pauseClients(long endMillis, boolean writesOnly) {
    }

    /** Ends the listener's pause (Redis {@code CLIENT UNPAUSE}): held commands go on, each client's in order. */
    default void unpauseClients() {
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

    /**
     * Drops, instead of writing, the replies to the next {@code count} requests of this connection,
     * counted from the one being answered now (Redis {@code CLIENT REPLY}: {@code OFF} drops its own
     * reply and every later one, {@code SKIP} its own and the next). {@code 0} writes replies again
     * from the current one on; {@link Long#MAX_VALUE} drops them until called again. Requests read
     * before this one keep their replies; what the connection is sent unasked (a subscription's
     * messages) is still written. The default does nothing: every reply is written.
     *
     * @since SPI 0.2.3
     */
    default void skipReplies(long count) {
    }

    /**
     * {@code true}: makes this connection a monitor of its listener (Redis {@code MONITOR}). Once
     * every earlier request of the connection is answered, it is sent, out of line, the
     * {@link Monitoring#describe} line of each request any connection of the listener reads, on any
     * I/O thread, itself included, until called with {@code false} or the connection closes. A
     * monitor that leaves more than the listener's {@code max-output-bytes} of them unread (queued
     * and unsent together) is disconnected. The default does nothing.
     *
     * @since SPI 0.2.3
     */
    default void monitor(boolean on) {
    }
}
