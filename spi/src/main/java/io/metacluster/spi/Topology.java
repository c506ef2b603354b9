package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

import java.util.BitSet;
import java.util.List;

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

    /**
     * The nodes the engine connects to, when the topology knows more than the configured ones
     * (a Redis Cluster's masters and replicas, discovered from the listed seeds), or {@code null}
     * to use the configured {@code nodes}. Asked once, before the engine starts; node indexes
     * everywhere else are positions in this list. Each entry is {@code host:port}. The list may
     * only grow, at its end, through {@link #onGrowth}.
     *
     * @since SPI 0.2.2
     */
    default List<String> discoveredNodes() {
        return null;
    }

    /**
     * Lets a topology that discovers its nodes grow while running (a node joined the Redis Cluster):
     * the engine hands it {@code connect} at start and after each reload. The topology calls it
     * with its whole node list, the running one with new nodes appended, from a thread of its own
     * (never an event loop: it blocks while the engine makes the new nodes and waits for their
     * first answer, about a connect timeout at most). It answers whether those nodes are now the
     * cluster's; until it answered {@code true}, no method may answer the index of a new node.
     * {@code false} when the engine is closing, or a reload replaced this topology (the new one
     * discovered the nodes itself). The default ignores it: the nodes are fixed.
     *
     * @since SPI 0.2.3
     */
    default void onGrowth(java.util.function.Predicate<List<String>> connect) {
    }

    /**
     * Whether node {@code node} holds keys now (a Redis Cluster master; not a replica, nor a master
     * that a failover replaced). Only such nodes count for the cluster's health and receive
     * keyless writes. May change at any time.
     *
     * @since SPI 0.2.2
     */
    default boolean serves(int node) {
        return true;
    }

    /**
     * Which part of a split command key {@code key} may share with the others of its group: keys
     * of one group are sent together in one part (to {@link #nodeOfKey} of its first key). The
     * default groups by node; a Redis Cluster groups by hash slot, since a node refuses one
     * request over keys of several slots.
     *
     * @since SPI 0.2.2
     */
    default int groupOfKey(Command command, int key) {
        return nodeOfKey(command, key);
    }

    /**
     * The error reply a node of this cluster would give to {@code command}, which no single node
     * can serve ({@link #nodeFor} gave {@link #SPANS_NODES}) and which cannot be split (Redis
     * Cluster's {@code -CROSSSLOT} for keys of several slots), or
     * {@code null} to leave it to another cluster as any command no node can serve. Owned by
     * the caller.
     *
     * @since SPI 0.2.2
     */
    default ByteBuf refusal(Command command) {
        return null;
    }

    /**
     * Whether replies must be shown to {@link #redirect}: the engine follows redirections only then.
     *
     * @since SPI 0.2.2
     */
    default boolean redirects() {
        return false;
    }

    /**
     * Where an error reply says the request belongs (Redis Cluster {@code MOVED} and {@code ASK}),
     * or {@code null} when it is an ordinary error, to be handed to the client. Learning of a
     * move (updating the map) is the topology's business. Called on event loops; must not block.
     *
     * @param errorReply a complete error reply (borrowed): what the backend codec framed as one reply and
     *                   called an error, which for a Redis transaction forwarded as one block is the
     *                   replies to {@code MULTI}, each queued command and {@code EXEC} (the topology
     *                   answers a redirection only when it means the block did not run). The engine
     *                   also asks about the replies on a pinned connection (the first command of a
     *                   conversation: see {@link Pinning}), and about replayed writes' replies
     *
     * @since SPI 0.2.2
     */
    default Redirect redirect(ByteBuf errorReply) {
        return null;
    }

    /**
     * Requests, in the protocol's bytes, that every connection to a node of this cluster sends
     * right after the protocol's own {@link BackendCodec#handshake} (Redis Cluster {@code READONLY},
     * so that a replica answers reads of its master's slots). The same contract: each gets exactly
     * one reply, an error reply fails the connection, and each is harmless to repeat (the engine
     * resends the handshake as a heartbeat and a probe). Asked once per connection; empty by default.
     *
     * @since SPI 0.2.3
     */
    default List<byte[]> handshake() {
        return List.of();
    }

    /**
     * Which nodes may answer a client's plain read ({@link CommandKind#READ}) of the keys of node
     * {@code node} (what {@link #nodeFor} or {@link #nodeOfKey} gave) in its place: a Redis Cluster
     * master's replicas with {@code read-from}. The engine sends the read to one of them that
     * serves reads now (the same one for a client while it does); when none does, to {@code node}
     * if {@link Readers#orOwner}, else it fails the read on this cluster (another cluster is tried).
     * Writes, conditional writes and the engine's own reads (verification) always go to
     * {@code node}. Called on event loops for every such read: must be fast and not allocate.
     *
     * @return {@code null} (the default): {@code node} alone
     * @since SPI 0.2.3
     */
    default Readers readers(int node) {
        return null;
    }

    /**
     * The answer of {@link #readers}.
     *
     * @param nodes   node indexes, in no particular order (may be empty)
     * @param orOwner whether the owner itself reads when none of {@code nodes} can
     * @since SPI 0.2.3
     */
    record Readers(int[] nodes, boolean orOwner) {
    }

    /**
     * The engine stops: end any background work (a map refresher). Called once, off the event loops.
     *
     * @since SPI 0.2.2
     */
    default void close() {
    }

    /**
     * Send the request again to node {@code node}, after {@code delayMillis} (0: now); when
     * {@code node} is {@link #SPANS_NODES}, to the node the map names then (Redis Cluster's
     * {@code CLUSTERDOWN} and {@code TRYAGAIN}: the same request may succeed once the cluster
     * settles). When {@code first} is not {@code null}, those bytes (a complete request, Redis
     * {@code ASKING}) go just before it on the same connection, their reply ignored. The engine
     * bounds how often one request is sent again; past that the client gets the error.
     *
     * @since SPI 0.2.2
     */
    record Redirect(int node, byte[] first, long delayMillis) {
    }
}
