package io.metacluster.engine;

import com.codahale.metrics.Gauge;
import io.metacluster.config.ClusterPlan;
import io.metacluster.spi.Topology;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.BitSet;
import java.util.stream.IntStream;

/**
 * One copy of the data: its nodes, how keys map to them, and its metrics. Shared by all listeners and loops.
 *
 * <p>With {@code on-node-down: eject}, a node that goes down (or looks hung) leaves the ring:
 * {@link #routing} places its keys over the remaining nodes, and nothing is kept for it. When it
 * is reachable again it is flushed (it may hold values overwritten or deleted meanwhile on the
 * nodes that stood in for it), then rejoins. Ejections are cluster-wide, not per event loop, so
 * that every loop sends a key to the same node.
 */
final class Cluster {
    private static final Logger log = LoggerFactory.getLogger(Cluster.class);

    final ClusterPlan config;
    /** Where keys live with every node in: the configured placement. */
    final Topology topology;
    /** Where keys go now: {@link #topology} without the ejected nodes. */
    volatile Topology routing;
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
    /** Indexes of the ejected nodes; guarded by {@code this}. */
    private final BitSet ejected = new BitSet();
    /** The nodes in the ring now, by index: every node when all are ejected (none can serve then). */
    private volatile int[] members;

    Cluster(ClusterPlan config, ClusterMetrics metrics, int loops) {
        this.config = config;
        this.topology = config.topology();
        this.routing = topology;
        this.metrics = metrics;
        this.tls = Tls.client(config.tls());
        this.nodes = new Node[config.nodes().size()];
        this.perLoop = new LoopCluster[loops];
        this.members = allNodes();
        metrics.registry.gauge(metrics.prefix + ".nodes-ejected", () -> (Gauge<Integer>) this::ejectedCount);
    }

    String name() {
        return config.name();
    }

    /** Takes a snapshot of the latency histogram, for {@link io.metacluster.spi.ClusterView#latencyNanos()}. */
    void refreshLatency() {
        latencyNanos = (long) metrics.latency.getSnapshot().get99thPercentile();
    }

    /** The indexes of the nodes in the ring now. */
    int[] membersNow() {
        return members;
    }

    /** {@code node} went down or looks hung ({@code why}): with {@code on-node-down: eject}, it leaves the ring. */
    void nodeDown(Node node, String why) {
        if (!config.ejects()) {
            return;
        }
        int left;
        synchronized (this) {
            int index = Arrays.asList(nodes).indexOf(node);
            if (ejected.get(index)) {
                return;
            }
            ejected.set(index);
            node.replay.eject();
            rebuild();
            left = nodes.length - ejected.cardinality();
        }
        metrics.ejections.inc();
        log.warn("node {} ejected ({}): its keys go to the {} other nodes until it is back, then it is flushed"
                + " and rejoins (on-node-down: eject)", node, why, left);
    }

    /** {@code node}, ejected, is reachable again and was flushed: its keys go back to it. */
    void rejoin(Node node) {
        synchronized (this) {
            int index = Arrays.asList(nodes).indexOf(node);
            if (!ejected.get(index)) {
                return;
            }
            if (!node.isUp()) {
                // down again since its flush (that report found it still ejected): flushed again when back
                node.replay.eject();
                return;
            }
            ejected.clear(index);
            rebuild();
        }
        metrics.rejoins.inc();
        log.info("node {} rejoined the ring, flushed: its keys are placed on it again", node);
    }

    /** Whether {@code node} is out of the ring. */
    synchronized boolean isEjected(Node node) {
        return ejected.get(Arrays.asList(nodes).indexOf(node));
    }

    private synchronized int ejectedCount() {
        return ejected.cardinality();
    }

    /** Holding the lock. */
    private void rebuild() {
        if (ejected.isEmpty() || ejected.cardinality() == nodes.length) {
            // with every node out none can serve: the configured placement fails each request at its node
            routing = topology;
            members = allNodes();
        } else {
            routing = topology.without(ejected);
            members = IntStream.range(0, nodes.length).filter(i -> !ejected.get(i)).toArray();
        }
    }

    private int[] allNodes() {
        return IntStream.range(0, nodes.length).toArray();
    }
}
