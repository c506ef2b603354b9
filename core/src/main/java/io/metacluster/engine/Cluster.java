package io.metacluster.engine;

import io.metacluster.config.ClusterPlan;
import io.metacluster.spi.Topology;
import io.netty.handler.ssl.SslContext;

/** One copy of the data: its nodes, how keys map to them, and its metrics. Shared by all listeners and loops. */
final class Cluster {
    final ClusterPlan config;
    final Topology topology;
    final Node[] nodes;
    final ClusterMetrics metrics;
    /** Writes in flight by key, for read verification; {@code null} when no listener of the cluster verifies. */
    WriteTracker writes;
    /** TLS to the nodes, or {@code null}. */
    final SslContext tls;
    /** This cluster as seen from each event loop. */
    final LoopCluster[] perLoop;
    /** {@link #metrics}' p99 latency as of the last {@link #refreshLatency}: a snapshot is too dear per read. */
    volatile long latencyNanos;

    Cluster(ClusterPlan config, ClusterMetrics metrics, int loops) {
        this.config = config;
        this.topology = config.topology();
        this.metrics = metrics;
        this.tls = Tls.client(config.tls());
        this.nodes = new Node[config.nodes().size()];
        this.perLoop = new LoopCluster[loops];
    }

    String name() {
        return config.name();
    }

    /** Takes a snapshot of the latency histogram, for {@link io.metacluster.spi.ClusterView#latencyNanos()}. */
    void refreshLatency() {
        latencyNanos = (long) metrics.latency.getSnapshot().get99thPercentile();
    }
}
