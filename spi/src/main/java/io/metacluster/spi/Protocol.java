package io.metacluster.spi;

import org.pf4j.ExtensionPoint;

/**
 * A wire protocol that listeners can speak ({@code protocol: NAME} in the config).
 *
 * <p>Implementations are stateless factories, shared by all threads; the per-connection work
 * happens in the codecs they create. Found through PF4J by {@link #name()}.
 */
public interface Protocol extends ExtensionPoint {

    /** The name used in the config, e.g. {@code redis}. Lower case, unique among plugins. */
    String name();

    /** A codec for one new client connection. Called on that connection's event loop. */
    ClientCodec newClientCodec(ClientLimits limits);

    /**
     * The record a listener's {@code protocol-options} block is converted to (kebab-case keys,
     * unknown keys refused at start). {@link NoConfig} when the protocol takes none.
     */
    default Class<?> optionsType() {
        return NoConfig.class;
    }

    /**
     * A codec for one new client connection of a listener with {@code options} (an instance of
     * {@link #optionsType()}). Called on that connection's event loop.
     */
    default ClientCodec newClientCodec(ClientLimits limits, Object options) {
        return newClientCodec(limits);
    }

    /**
     * The request that empties a backend (Redis {@code FLUSHDB}, memcached {@code flush_all}), in
     * the client protocol, so that a {@link ClientCodec} decodes it like any request. Sent to a
     * node whose outage outlived its replay log, so that it refills instead of serving stale data.
     */
    byte[] flushRequest();

    /**
     * How many kinds of backend connection the protocol needs; the engine keeps separate
     * connections per kind ("lane") and sends each {@link Command} on its {@link Command#lane()}.
     * Most protocols need one.
     */
    default int backendLanes() {
        return 1;
    }

    /**
     * How many lanes, from lane 0, are connected at start (and count for a node's first answer);
     * the connection of a later lane is opened when a request first needs it, one per event loop
     * and node, and what comes meanwhile waits for it. All of them (the default), or fewer for a
     * protocol with many lanes that few clients use (Redis: one per database and RESP version).
     */
    default int eagerLanes() {
        return backendLanes();
    }

    /**
     * Requests, in the client protocol, after which a new {@link ClientCodec} decodes what follows
     * onto lane {@code lane}, each answered by the codec itself ({@link CommandKind#ADMIN}; Redis:
     * SELECT and HELLO). A write kept on disk for replay is stored after them, so that it is read
     * back, after a restart, on the lane it was written on. Empty (the default) when a fresh codec
     * already decodes onto that lane: lane 0, or a lane that follows from the request itself
     * (memcached text or binary).
     */
    default byte[] laneRequests(int lane) {
        return new byte[0];
    }

    /**
     * A codec for one new backend connection of the given lane (0 to {@link #backendLanes()} - 1).
     * Called on that connection's event loop.
     */
    BackendCodec newBackendCodec(BackendSettings settings, int lane);

    /**
     * How replies of this protocol compare and how a diverged key is repaired, for read
     * verification ({@code verify:}); {@code null} when the protocol cannot be verified.
     * Stateless and shared; see {@link ReplyVerification} for its contract.
     */
    default ReplyVerification verification() {
        return null;
    }
}
