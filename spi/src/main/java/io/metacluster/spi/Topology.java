package io.metacluster.spi;

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
}
