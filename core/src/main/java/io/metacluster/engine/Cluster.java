package io.metacluster.engine;

import io.metacluster.config.ClusterPlan;
import io.metacluster.spi.Topology;
import io.netty.handler.ssl.SslContext;

/**
 * One copy of the data: its nodes, how keys map to them, and its metrics. Shared by all listeners
 * and loops. A config reload may change its nodes, topology and {@code local} flag
 * ({@link #relayout}); its name, credentials and TLS stay.
 */
final class Cluster {
    /**
     * What a reload replaces at once: a route reads it once, so that the node a topology picks is
     * an index into the same nodes.
     */
    record Layout(ClusterPlan config, Topology topology, Node[] nodes) {
    }

    private volatile Layout layout;
    final ClusterMetrics metrics;
    /** Writes in flight by key, for read verification; {@code null} when no listener of the cluster verifies. */
    volatile WriteTracker writes;
    /** TLS to the nodes, or {@code null}. */
    final SslContext tls;
    /** This cluster as seen from each event loop. */
    final LoopCluster[] perLoop;
    /** {@link #metrics}' p99 latency as of the last {@link #refreshLatency}: a snapshot is too dear per read. */
    volatile long latencyNanos;

    Cluster(ClusterPlan config, ClusterMetrics metrics, int loops) {
        this.layout = new Layout(config, config.topology(), new Node[config.nodes().size()]);
        this.metrics = metrics;
        this.tls = Tls.client(config.tls());
        this.perLoop = new LoopCluster[loops];
    }

    Layout layout() {
        return layout;
    }

    /** Replaces the layout (a config reload); {@code nodes} in the order of {@code config.nodes()}. */
    void relayout(ClusterPlan config, Node[] nodes) {
        layout = new Layout(config, config.topology(), nodes);
    }

    ClusterPlan config() {
        return layout.config();
    }

    Topology topology() {
        return layout.topology();
    }

    Node[] nodes() {
        return layout.nodes();
    }

    String name() {
        return layout.config().name();
    }

    /** Takes a snapshot of the latency histogram, for {@link io.metacluster.spi.ClusterView#latencyNanos()}. */
    void refreshLatency() {
        latencyNanos = (long) metrics.latency.getSnapshot().get99thPercentile();
    }
}
