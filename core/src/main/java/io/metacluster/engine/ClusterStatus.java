package io.metacluster.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A cluster as an operator sees it at one moment: healthy when every event loop has a working
 * connection to each of its nodes and none is catching up on missed writes.
 */
public record ClusterStatus(String name, boolean local, boolean healthy, List<NodeStatus> nodes) {

    /**
     * One node: {@code up} when some event loop has a working connection to it; its latency
     * percentiles over recent sampled replies, in milliseconds; its replay log's depth.
     *
     * @param lastError why it was last seen down or unreachable, or {@code null}
     * @param ejected   out of its ring ({@code on-node-down: eject}): its keys are on the other nodes
     * @param outOfSync out of reads until a resync has refilled it
     * @param resync    the resync it waits for or undergoes, or {@code null}
     */
    public record NodeStatus(String address, boolean up, double latencyP50Ms, double latencyP99Ms,
                             double latencyP999Ms, int replayPending, long replayBytes, String lastError,
                             boolean ejected, boolean outOfSync, ResyncProgress resync) {
    }

    /**
     * A node's resync: {@code state} {@code waiting} (queued, or no source cluster is healthy yet;
     * the other fields empty) or {@code copying} from cluster {@code source}.
     */
    public record ResyncProgress(String state, String source, long keysWalked, long keysSkipped, long seconds) {
        static final ResyncProgress WAITING = new ResyncProgress("waiting", null, 0, 0, 0);
    }

    static List<ClusterStatus> of(Collection<Cluster> clusters, Resyncs resyncs) {
        List<ClusterStatus> all = new ArrayList<>();
        for (Cluster cluster : clusters) {
            List<NodeStatus> nodes = new ArrayList<>();
            for (Node node : cluster.nodes()) {
                double[] latency = node.metrics.latencyMillis();
                Resync copying = resyncs.runningFor(node);
                ResyncProgress resync = copying != null ? copying.progress()
                        : resyncs.pending(node) ? ResyncProgress.WAITING : null;
                nodes.add(new NodeStatus(node.address.toString(), node.isUp(), latency[0], latency[1], latency[2],
                        node.replay.pending(), node.replay.bytes(), node.lastError(), cluster.isEjected(node),
                        node.outOfSync, resync));
            }
            all.add(new ClusterStatus(cluster.name(), cluster.config().local(), healthy(cluster), List.copyOf(nodes)));
        }
        return all;
    }

    static boolean healthy(Cluster cluster) {
        for (LoopCluster view : cluster.perLoop) {
            if (!view.whole()) {
                return false;
            }
        }
        return true;
    }
}
