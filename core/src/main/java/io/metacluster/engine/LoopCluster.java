package io.metacluster.engine;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;

/**
 * A cluster as one event loop sees it: healthy when that loop has a working connection to
 * each of its nodes. Only that loop's threads route through it, so no cross-thread hand-off.
 */
final class LoopCluster implements ClusterView {
    final Cluster cluster;
    private final int loop;

    LoopCluster(Cluster cluster, int loop) {
        this.cluster = cluster;
        this.loop = loop;
    }

    @Override
    public String name() {
        return cluster.name();
    }

    @Override
    public boolean local() {
        return cluster.config.local();
    }

    @Override
    public boolean healthy() {
        for (Node node : cluster.nodes) {
            if (!node.servesReads() || readyConnection(node.connections[loop][0], 0) == null) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long latencyNanos() {
        return cluster.latencyNanos;
    }

    /** Sends a request that is not a client's write (a read, a verification) to the node that holds its keys. */
    void send(Command command, long clientId, ReplyListener listener) {
        route(command, clientId, listener, false, null);
    }

    /**
     * Sends a client's read ({@code write} false) or write; one whose keys are on several nodes
     * is split by {@code codec} into one part per node where the protocol can
     * ({@link io.metacluster.spi.CommandSplitter#part}), the replies joined.
     */
    void request(Command command, long clientId, ReplyListener listener, ClientCodec codec, boolean write) {
        route(command, clientId, listener, write, codec);
    }

    /** Sends {@code command}, a part of a split request, to node {@code node}; a write the node misses is kept for replay. */
    void sendTo(int node, Command command, long clientId, ReplyListener listener, boolean write) {
        NodeConnection connection = connection(node, command.lane(), clientId);
        if (write) {
            connection.write(command, listener);
        } else {
            connection.send(command, listener);
        }
    }

    int nodeOfKey(Command command, int key) {
        return cluster.topology.nodeOfKey(command, key);
    }

    int nodeCount() {
        return cluster.nodes.length;
    }

    /** Sends a client's write (kept for replay if its node cannot take it; see {@link NodeConnection#write}). */
    void write(Command command, long clientId, ReplyListener listener) {
        route(command, clientId, listener, true, null);
    }

    /** To the node of the command's keys; a command over several nodes split by {@code splitter}, when given and able. */
    private void route(Command command, long clientId, ReplyListener listener, boolean write, ClientCodec splitter) {
        int node = cluster.topology.nodeFor(command);
        if (node != Topology.SPANS_NODES) {
            sendTo(node, command, clientId, listener, write);
        } else if (splitter != null && command.keyCount() > 1 && command.kind() != CommandKind.CONDITIONAL_WRITE
                && SplitRequest.send(command, this, splitter, clientId, listener, write)) {
            return;
        } else if (write && command.keyCount() == 0 && cluster.nodes.length > 1) {
            // FLUSHALL, flush_all, SCRIPT LOAD: every node must apply it, or the shards diverge;
            // a node that cannot take it now keeps it in its replay log, as for any write it misses
            NodeGather gather = new NodeGather(cluster.nodes.length, listener, LoopCluster::firstReply, () -> { });
            for (int i = 0; i < cluster.nodes.length; i++) {
                connection(i, command.lane(), clientId).write(command, gather.member(i));
            }
        } else {
            listener.onFailure("cluster " + name() + " has " + cluster.nodes.length + " nodes and " + command.name()
                    + (command.keyCount() == 0 ? " has no key to pick one by" : "'s keys are on different ones"));
        }
    }

    /**
     * Opens a connection of client {@code clientId}'s own for {@code command} ({@link io.metacluster.spi.CommandKind#PINNED})
     * to the node that holds its key, or the first node when it has none or several (channel
     * names are not keys; a PUBLISH reaches every node); {@code listener} hears of what comes back.
     */
    ChannelFuture connectPinned(Command command, long clientId, PinnedListener listener) {
        int node = cluster.topology.nodeFor(command);
        return connection(node == Topology.SPANS_NODES ? 0 : node, command.lane(), clientId).connectPinned(listener);
    }

    /**
     * Opens a connection of its own to node {@code node} that sends {@code command}
     * ({@link io.metacluster.spi.CommandKind#ASIDE}) after the hello and tells {@code listener} its reply.
     * Lane 0: the command does not depend on the database or protocol version, and lane 0 is always set up.
     */
    ChannelFuture connectAside(int node, Command command, AsideConnection.Listener listener) {
        return connection(node, 0, 0).connectAside(command, listener);
    }

    /** The answer to a keyless write every node applied: the first node's reply. */
    private static ByteBuf firstReply(ByteBuf[] replies) {
        for (int i = 1; i < replies.length; i++) {
            replies[i].release();
        }
        return replies[0];
    }

    /**
     * The connection to node {@code node} that carries lane {@code lane} for client
     * {@code clientId}. A client always gets the same connection per node while it is up, which
     * keeps its writes in order.
     */
    private NodeConnection connection(int node, int lane, long clientId) {
        NodeConnection[] candidates = cluster.nodes[node].connections[loop][lane];
        if (candidates.length == 1) {
            return candidates[0];
        }
        NodeConnection ready = readyConnection(candidates, (int) (clientId % candidates.length));
        return ready != null ? ready : candidates[0];
    }

    private static NodeConnection readyConnection(NodeConnection[] candidates, int first) {
        for (int i = 0; i < candidates.length; i++) {
            NodeConnection connection = candidates[(first + i) % candidates.length];
            if (connection.isReady()) {
                return connection;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name();
    }
}
