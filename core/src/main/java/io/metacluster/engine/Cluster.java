package io.metacluster.engine;

import io.metacluster.config.ClusterPlan;
import io.metacluster.spi.Command;
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

    /**
     * Sends the writes kept for nodes that hold no keys any more (a Redis Cluster master that a
     * failover replaced; {@link io.metacluster.spi.Topology#serves}) to the nodes that hold their
     * keys now, through {@code via} (on its event loop), as writes: recorded there in turn if such
     * a node cannot take them. Called before a client's write on a cluster whose topology
     * redirects, so that the old writes go first, and by a timer for when no write comes.
     */
    void handOverMissedWrites(LoopCluster via) {
        if (!topology.redirects()) {
            return;
        }
        for (int i = 0; i < nodes.length; i++) {
            if (!topology.serves(i) && nodes[i].replay.holdsWrites()) {
                for (Command write : nodes[i].replay.handOver()) {
                    via.write(write, 0, ReplyListener.releasing(write));
                }
            }
        }
    }

    /** Takes a snapshot of the latency histogram, for {@link io.metacluster.spi.ClusterView#latencyNanos()}. */
    void refreshLatency() {
        latencyNanos = (long) metrics.latency.getSnapshot().get99thPercentile();
    }
}
