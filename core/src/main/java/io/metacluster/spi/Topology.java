package io.metacluster.spi;

/**
 * Maps a key to the node that holds it inside one cluster. Called on event loops for every
 * keyed request; must be fast, must not block, and thread-safe.
 */
public interface Topology {
    /**
     * @param command the request; {@link Command#key(int)} gives its keys (there may be none)
     * @return the index, in the cluster's configured {@code nodes}, of the node to send it to
     */
    int nodeFor(Command command);
}
