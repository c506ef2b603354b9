package io.metacluster.engine;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;

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
        NodeConnection connection = connectionFor(command, clientId);
        if (connection == null) {
            listener.onFailure(spansNodes(command));
        } else if (write) {
            connection.write(command, listener);
        } else {
            connection.send(command, listener);
        }
    }

    private String spansNodes(Command command) {
        return "cluster " + name() + " has " + cluster.nodes.length + " nodes and " + command.name()
                + (command.keyCount() == 0 ? " has no key to pick one by" : "'s keys are on different ones");
    }

    /**
     * The connection that carries {@code command} for client {@code clientId}, or {@code null}
     * when no one node can serve it ({@link Topology#SPANS_NODES}). A client always gets the same
     * connection per node while it is up, which keeps its writes in order.
     */
    private NodeConnection connectionFor(Command command, long clientId) {
        int node = cluster.topology.nodeFor(command);
        if (node == Topology.SPANS_NODES) {
            return null;
        }
        NodeConnection[] candidates = cluster.nodes[node].connections[loop][command.lane()];
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
