package io.metacluster.spi;

import java.util.BitSet;

/**
 * Maps a key to the node that holds it inside one cluster. Called on event loops for every
 * keyed request; must be fast, must not block, and thread-safe.
 */
public interface Topology {
    /**
     * What {@link #nodeFor} answers for a command no single node can serve: its keys live on
     * different nodes, or it has none and the cluster has several. A keyless write then goes to
     * every node. Otherwise the engine treats the cluster as unable to serve it: a read tries
     * another cluster, a write counts as failed there (not kept for replay: no node would take it).
     */
    int SPANS_NODES = -1;

    /**
     * @param command the request; {@link Command#key(int)} gives its keys (there may be none)
     * @return the index, in the cluster's configured {@code nodes}, of the node to send it to,
     *         or {@link #SPANS_NODES}
     */
    int nodeFor(Command command);

    /**
     * The node of key {@code key} of {@code command} alone, for splitting a command whose keys
     * are on several nodes ({@link CommandSplitter#part}). A topology that never answers
     * {@link #SPANS_NODES} for keyed commands may keep the default.
     */
    default int nodeOfKey(Command command, int key) {
        return nodeFor(command);
    }

    /**
     * This topology with the nodes whose indexes are set in {@code ejected} left out, for
     * {@code on-node-down: eject}: every key of theirs placed on one of the remaining nodes, and
     * as few other keys moved as the placement allows. The indexes it answers still index the configured
     * {@code nodes} and are never those of an ejected node. Called when a node goes down or
     * comes back, possibly on an event loop, so it must not block (building a ring of a hundred
     * nodes takes a few milliseconds); never with every node ejected. The result is used from
     * every event loop (thread-safe, as any topology).
     *
     * @return the reduced topology, or {@code null} (the default) when this topology cannot
     *         leave nodes out: the config then refuses {@code on-node-down: eject} for it
     * @since SPI 0.2.2
     */
    default Topology without(BitSet ejected) {
        return null;
    }
}
