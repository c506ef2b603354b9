package io.metacluster.engine;

import com.codahale.metrics.Gauge;
import io.metacluster.config.ClusterPlan;
import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * One copy of the data: its nodes, how keys map to them, and its metrics. Shared by all listeners
 * and loops. A config reload may change its nodes, topology and {@code local} flag
 * ({@link #relayout}); its name, credentials and TLS stay.
 *
 * <p>With {@code on-node-down: eject}, a node that goes down (or looks hung) leaves the ring:
 * the layout's {@code routing} places its keys over the remaining nodes, and nothing is kept for
 * it. When it is reachable again it is flushed (it may hold values overwritten or deleted
 * meanwhile on the nodes that stood in for it), then rejoins. Ejections are cluster-wide, not per
 * event loop, so that every loop sends a key to the same node; they are kept by node, so a reload
 * that keeps a node keeps it out.
 */
final class Cluster {
    private static final Logger log = LoggerFactory.getLogger(Cluster.class);

    /**
     * What a reload or an ejection replaces at once: a route reads it once, so that the node a
     * topology picks is an index into the same nodes.
     *
     * @param topology where keys live with every node in: the configured placement
     * @param routing  where keys go now: {@code topology} without the ejected nodes
     * @param members  the indexes of the nodes in the ring now: every node when all are ejected
     *                 (none can serve then)
     */
    record Layout(ClusterPlan config, Topology topology, Node[] nodes, Topology routing, int[] members) {
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
    /** The ejected nodes; guarded by {@code this}. */
    private final Set<Node> ejected = Collections.newSetFromMap(new IdentityHashMap<>());

    Cluster(ClusterPlan config, ClusterMetrics metrics, int loops) {
        Node[] nodes = new Node[config.nodes().size()];
        this.layout = new Layout(config, config.topology(), nodes, config.topology(), allNodes(nodes.length));
        this.metrics = metrics;
        this.tls = Tls.client(config.tls());
        this.perLoop = new LoopCluster[loops];
        metrics.registry.gauge(metrics.prefix + ".nodes-ejected", () -> (Gauge<Integer>) this::ejectedCount);
    }

    Layout layout() {
        return layout;
    }

    /** Replaces the layout (a config reload); {@code nodes} in the order of {@code config.nodes()}. */
    synchronized void relayout(ClusterPlan config, Node[] nodes) {
        Topology before = layout.topology();
        if (before != config.topology()) {
            before.close(); // a Redis Cluster map refresher: the reloaded plan made its own
        }
        Layout next = new Layout(config, config.topology(), nodes, null, null);
        ejected.removeIf(node -> !isMember(next, node));
        layout = layoutOf(config, nodes);
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

    /**
     * Sends the writes kept for nodes that hold no keys any more (a Redis Cluster master that a
     * failover replaced; {@link io.metacluster.spi.Topology#serves}) to the nodes that hold their
     * keys now, through {@code via} (on its event loop), as writes: recorded there in turn if such
     * a node cannot take them. Called before a client's write on a cluster whose topology
     * redirects, so that the old writes go first, and by a timer for when no write comes.
     */
    void handOverMissedWrites(LoopCluster via) {
        Layout now = layout;
        if (!now.topology().redirects()) {
            return;
        }
        for (int i = 0; i < now.nodes().length; i++) {
            if (!now.topology().serves(i) && now.nodes()[i].replay.holdsWrites()) {
                for (Command write : now.nodes()[i].replay.handOver()) {
                    via.write(write, 0, ReplyListener.releasing(write));
                }
            }
        }
    }

    /** Takes a snapshot of the latency histogram, for {@link io.metacluster.spi.ClusterView#latencyNanos()}. */
    void refreshLatency() {
        latencyNanos = (long) metrics.latency.getSnapshot().get99thPercentile();
    }

    /** {@code node} went down or looks hung ({@code why}): with {@code on-node-down: eject}, it leaves the ring. */
    void nodeDown(Node node, String why) {
        int left;
        synchronized (this) {
            Layout now = layout;
            if (!now.config().ejects() || ejected.contains(node) || !isMember(now, node)) {
                return;
            }
            ejected.add(node);
            node.replay.eject();
            layout = layoutOf(now.config(), now.nodes());
            left = now.nodes().length - ejected.size();
        }
        metrics.ejections.inc();
        log.warn("node {} ejected ({}): its keys go to the {} other nodes until it is back, then it is flushed"
                + " and rejoins (on-node-down: eject)", node, why, left);
    }

    /** {@code node}, ejected, is reachable again and was flushed: its keys go back to it. */
    void rejoin(Node node) {
        synchronized (this) {
            if (!ejected.contains(node)) {
                return;
            }
            if (!node.isUp()) {
                // down again since its flush (that report found it still ejected): flushed again when back
                node.replay.eject();
                return;
            }
            ejected.remove(node);
            layout = layoutOf(layout.config(), layout.nodes());
        }
        metrics.rejoins.inc();
        log.info("node {} rejoined the ring, flushed: its keys are placed on it again", node);
    }

    /** Whether {@code node} is out of the ring. */
    synchronized boolean isEjected(Node node) {
        return ejected.contains(node);
    }

    private synchronized int ejectedCount() {
        return ejected.size();
    }

    private static boolean isMember(Layout layout, Node node) {
        for (Node each : layout.nodes()) {
            if (each == node) {
                return true;
            }
        }
        return false;
    }

    /** Holding the lock. */
    private Layout layoutOf(ClusterPlan config, Node[] nodes) {
        Topology topology = config.topology();
        BitSet out = new BitSet();
        for (int i = 0; i < nodes.length; i++) {
            if (ejected.contains(nodes[i])) {
                out.set(i);
            }
        }
        if (out.isEmpty() || out.cardinality() == nodes.length) {
            // with every node out none can serve: the configured placement fails each request at its node
            return new Layout(config, topology, nodes, topology, allNodes(nodes.length));
        }
        int[] members = IntStream.range(0, nodes.length).filter(i -> !out.get(i)).toArray();
        return new Layout(config, topology, nodes, topology.without(out), members);
    }

    private static int[] allNodes(int count) {
        return IntStream.range(0, count).toArray();
    }
}
