package io.metacluster.engine;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;

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

    /**
     * The connection that carries {@code command} for client {@code clientId}. A client always
     * gets the same connection per node while it is up, which keeps its writes in order.
     */
    NodeConnection connectionFor(Command command, long clientId) {
        NodeConnection[] candidates = cluster.nodes[cluster.topology.nodeFor(command)].connections[loop][command.lane()];
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
