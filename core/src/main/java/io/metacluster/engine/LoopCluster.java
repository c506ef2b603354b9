package io.metacluster.engine;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.util.ReferenceCountUtil;

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
            if (!node.replay.servesReads() || readyConnection(node.connections[loop][0], 0) == null) {
                return false;
            }
        }
        return true;
    }

    /** Sends a request that is not a client's write (a read, a verification) to the node that holds its keys. */
    void send(Command command, long clientId, ReplyListener listener) {
        route(command, clientId, listener, false);
    }

    /** Sends a client's write (kept for replay if its node cannot take it; see {@link NodeConnection#write}). */
    void write(Command command, long clientId, ReplyListener listener) {
        route(command, clientId, listener, true);
    }

    private void route(Command command, long clientId, ReplyListener listener, boolean write) {
        int node = cluster.topology.nodeFor(command);
        if (node != Topology.SPANS_NODES) {
            NodeConnection connection = connection(node, command.lane(), clientId);
            if (write) {
                connection.write(command, listener);
            } else {
                connection.send(command, listener);
            }
        } else if (write && command.keyCount() == 0 && cluster.nodes.length > 1) {
            // FLUSHALL, flush_all, SCRIPT LOAD: every node must apply it, or the shards diverge
            Broadcast broadcast = new Broadcast(listener, cluster.nodes.length);
            for (int i = 0; i < cluster.nodes.length; i++) {
                connection(i, command.lane(), clientId).write(command, broadcast);
            }
        } else {
            listener.onFailure("cluster " + name() + " has " + cluster.nodes.length + " nodes and " + command.name()
                    + (command.keyCount() == 0 ? " has no key to pick one by" : "'s keys are on different ones"));
        }
    }

    /**
     * Opens a connection of {@code session}'s own for {@code command} ({@link io.metacluster.spi.CommandKind#PINNED})
     * to the node that holds its key, or the first node when it has none or several (channel
     * names are not keys; a PUBLISH reaches every node).
     */
    ChannelFuture connectPinned(Command command, ClientSession session) {
        int node = cluster.topology.nodeFor(command);
        return connection(node == Topology.SPANS_NODES ? 0 : node, command.lane(), session.id()).connectPinned(session);
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

    /**
     * A keyless write sent to every node of a sharded cluster, answered as one: by a node's
     * error if there is one, else by the first reply; a failure if any node could not take it
     * (that node's replay log keeps the write, as for any write it misses).
     */
    private static final class Broadcast implements ReplyListener {
        private final ReplyListener answer;
        private int outstanding;
        private ByteBuf reply;
        private boolean error;
        private String failure;

        Broadcast(ReplyListener answer, int nodes) {
            this.answer = answer;
            this.outstanding = nodes;
        }

        @Override
        public void onReply(ByteBuf nodeReply, boolean nodeError) {
            if (reply == null || (nodeError && !error)) {
                ReferenceCountUtil.release(reply);
                reply = nodeReply;
                error = nodeError;
            } else {
                nodeReply.release();
            }
            settle();
        }

        @Override
        public void onFailure(String reason) {
            failure = reason;
            settle();
        }

        private void settle() {
            if (--outstanding > 0) {
                return;
            }
            if (failure != null) {
                ReferenceCountUtil.release(reply);
                answer.onFailure(failure);
            } else {
                answer.onReply(reply, error);
            }
        }
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
