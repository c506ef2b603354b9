package io.metacluster.engine;

import io.metacluster.config.ResyncConfig;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Refills nodes that lost writes, one at a time, on a thread of their own: a node that was
 * restarted (its identity changed) or whose replay log overflowed is kept out of reads, still
 * written to, while every key of a healthy cluster of the same listeners is copied to it
 * ({@link Resync}); then it serves reads again (once its replay log, if any, is empty too). A
 * copy that breaks off starts over a little later; a node asked for again while it is being
 * copied to is copied to again afterwards. When every cluster it could be copied from waits for
 * a resync too (all were restarted), none holds more: the node is taken back as it is.
 */
final class Resyncs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Resyncs.class);
    private static final long RETRY_MS = 5000;

    /** Replaced by a config reload, as are {@link #peers}; the copy under way keeps the rate it started with. */
    private volatile ResyncConfig config;
    private final long linkTimeoutMs;
    /** For each cluster, those it can be refilled from: the others of its listeners, by name. */
    private volatile Map<String, List<String>> peers;
    /** The engine's clusters by name, as of now (a reload replaces the map). */
    private final Supplier<Map<String, Cluster>> clusters;
    /** The copy under way, or {@code null}: its progress is shown on the admin endpoint. */
    private volatile Resync running;
    /** Nodes waiting for a resync, with whether what they hold must be kept (true only if every request said so). */
    private final Map<Node, Boolean> wanted = new ConcurrentHashMap<>();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(new DefaultThreadFactory("metacluster-resync", true));
    private volatile boolean closed;

    Resyncs(ResyncConfig config, long linkTimeoutMs, Map<String, List<String>> peers, Supplier<Map<String, Cluster>> clusters) {
        this.config = config;
        this.linkTimeoutMs = linkTimeoutMs;
        this.peers = Map.copyOf(peers);
        this.clusters = clusters;
    }

    /** A reloaded config: the rate of later copies, and which clusters each can be refilled from. */
    void reconfigure(ResyncConfig config, Map<String, List<String>> peers) {
        this.config = config;
        this.peers = Map.copyOf(peers);
    }

    /** What an operator's request for a node led to. */
    enum Order { STARTED, ALREADY_PENDING, IMPOSSIBLE }

    /**
     * An operator's request: {@code node} leaves reads and is refilled, its keys replaced by the
     * source's (those written through the proxy meanwhile excepted), unless it already waits for
     * or undergoes a copy, or nothing can refill it.
     */
    Order byOperator(Node node) {
        if (pending(node)) {
            return Order.ALREADY_PENDING;
        }
        return request(node, false) ? Order.STARTED : Order.IMPOSSIBLE;
    }

    /**
     * Whether {@code node} is waiting for a copy (queued, or its source not yet healthy) or being
     * copied to: out of reads from the request until the copy is done.
     */
    boolean pending(Node node) {
        return wanted.containsKey(node) || node.outOfSync;
    }

    /** The copy to {@code node} under way, or {@code null}. */
    Resync runningFor(Node node) {
        Resync now = running;
        return now != null && now.targetNode() == node ? now : null;
    }

    /**
     * Takes {@code node} out of reads until it was refilled from another cluster.
     *
     * @param keepExisting whether the keys the node holds are newer than any copy (it restarted empty)
     * @return false, doing nothing, when no cluster can refill it (no other cluster shares a
     *         listener with it, or its protocol cannot copy)
     */
    boolean request(Node node, boolean keepExisting) {
        if (closed || node.cluster.config().protocol() == null || node.cluster.config().protocol().nodeSync() == null
                || peers.getOrDefault(node.cluster.name(), List.of()).isEmpty()) {
            return false;
        }
        node.outOfSync = true;
        boolean[] fresh = {false};
        wanted.compute(node, (n, before) -> {
            fresh[0] = before == null;
            return before == null ? keepExisting : before && keepExisting;
        });
        if (fresh[0]) {
            try {
                thread.execute(() -> run(node));
            } catch (RejectedExecutionException e) {
                // shutting down: the node stays out of reads; a replay-log overflow is remembered on disk
            }
        }
        return true;
    }

    private void run(Node node) {
        Boolean keepExisting = wanted.remove(node);
        if (keepExisting == null) {
            return;
        }
        boolean waitingSaid = false;
        try {
            while (!closed) {
                if (node.retired) {
                    wanted.remove(node);
                    return;
                }
                Cluster source = healthySource(node);
                if (source == null && everyPeerOutOfSync(node)) {
                    // all restarted (or overflowed) alike: none holds more than this node, and waiting would keep them all out
                    log.warn("resync of node {} given up: every cluster it could be copied from ({}) waits for a resync"
                            + " too; back in reads with what it holds", node, peers.get(node.cluster.name()));
                    wanted.remove(node);
                    break;
                }
                if (source == null || !node.isUp()) {
                    if (!waitingSaid) {
                        waitingSaid = true;
                        log.warn("resync of node {} waits: {}", node, source == null
                                ? "no cluster of " + peers.get(node.cluster.name()) + " is healthy" : "the node is down");
                    }
                    Thread.sleep(1000);
                    continue;
                }
                // asked again while it waited (an overflow, then the restart): one copy serves both
                Boolean again = wanted.remove(node);
                keepExisting &= again == null || again;
                Resync copy = new Resync(node, source, keepExisting, config, linkTimeoutMs);
                running = copy;
                try {
                    copy.run();
                    break;
                } catch (IOException e) {
                    log.warn("resync of node {} from cluster {} broke off: {}; starting over in {} s", node, source.name(),
                            e.getMessage(), RETRY_MS / 1000);
                    Thread.sleep(RETRY_MS);
                } finally {
                    running = null;
                }
            }
        } catch (InterruptedException e) {
            return;
        }
        if (!closed && !wanted.containsKey(node)) {
            node.outOfSync = false;
            node.replay.resynced();
        }
    }

    /** The first cluster {@code node} can be copied from whose nodes are all up and serving reads. */
    private Cluster healthySource(Node node) {
        for (String name : peers.getOrDefault(node.cluster.name(), List.of())) {
            Cluster peer = clusters.get().get(name);
            if (peer != null && isHealthy(peer)) {
                return peer;
            }
        }
        return null;
    }

    /** Whether every cluster {@code node} could be copied from has a node waiting for a resync itself. */
    private boolean everyPeerOutOfSync(Node node) {
        for (String name : peers.getOrDefault(node.cluster.name(), List.of())) {
            Cluster peer = clusters.get().get(name);
            if (peer == null || Arrays.stream(peer.nodes()).noneMatch(n -> n.outOfSync)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isHealthy(Cluster cluster) {
        for (Node node : cluster.nodes()) {
            if (!node.isUp() || !node.servesReads()) {
                return false;
            }
        }
        return true;
    }

    /** Stops the resync under way (it starts over at the next start, the node still out of reads). */
    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
    }
}
