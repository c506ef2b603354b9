package io.metacluster.engine;

import io.metacluster.config.ResyncConfig;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.KeyCopy;
import io.metacluster.spi.NodeLink;
import io.metacluster.spi.NodeSync;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One resync of a node: every node of the source cluster that holds keys (a Redis Cluster's masters) in turn is walked by the protocol
 * ({@link NodeSync#copy}) and its keys written to the target node, at most
 * {@code keys-per-second}. Keys written through the proxy since the start are left alone (see
 * {@link Node#written}); of a sharded target cluster, only the target node's keys are copied.
 * Then the target's own keys are walked and those the source lacks are deleted ({@link #prune}).
 * Runs on the {@link Resyncs} thread.
 */
final class Resync implements KeyCopy {
    private static final Logger log = LoggerFactory.getLogger(Resync.class);
    private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Node target;
    private final int targetIndex;
    private final Cluster source;
    private final boolean keepExisting;
    private final ResyncConfig config;
    private final long linkTimeoutMs;
    private final ClusterMetrics metrics;
    private NodeLink sourceLink;
    private NodeLink targetLink;
    private Node sourceNode;
    private NodeLinkConnection secondSource;
    private volatile long startNanos;
    private long lastProgressNanos;
    // written by the resync thread only, read by the admin endpoint
    private volatile long walked;
    private volatile long skipped;
    private volatile long deleted;
    /** Keys of the target looked at by {@link #prune}. */
    private volatile long pruneWalked;

    Resync(Node target, Cluster source, boolean keepExisting, ResyncConfig config, long linkTimeoutMs) {
        this.target = target;
        this.targetIndex = Arrays.asList(target.cluster.nodes()).indexOf(target);
        this.source = source;
        this.keepExisting = keepExisting;
        this.config = config;
        this.linkTimeoutMs = linkTimeoutMs;
        this.metrics = target.cluster.metrics;
        this.startNanos = System.nanoTime();
    }

    void run() throws IOException, InterruptedException {
        NodeSync sync = target.cluster.config().protocol().nodeSync();
        startNanos = System.nanoTime();
        lastProgressNanos = startNanos;
        metrics.resyncsStarted.inc();
        log.info("resync of node {} from cluster {} started: at most {} keys/s, {} keys it holds", target, source.name(),
                config.keysPerSecond(), keepExisting ? "keeping the" : "replacing the");
        target.writtenDuringResync = ConcurrentHashMap.newKeySet();
        try {
            for (Node from : source.nodes()) {
                if (!from.holdsKeys()) {
                    continue; // a Redis Cluster replica: its master is walked
                }
                try (NodeLinkConnection in = NodeLinkConnection.open(from.connections[0][0][0], linkTimeoutMs);
                     NodeLinkConnection out = NodeLinkConnection.open(target.connections[0][0][0], linkTimeoutMs)) {
                    sourceLink = in;
                    targetLink = out;
                    sourceNode = from;
                    sync.copy(this);
                } finally {
                    if (secondSource != null) {
                        secondSource.close();
                        secondSource = null;
                    }
                }
            }
            prune(sync);
        } finally {
            target.writtenDuringResync = null;
        }
        metrics.resyncsCompleted.inc();
        log.info("resync of node {} from cluster {} done: {} keys copied, {} left alone, {} deleted, in {} s", target,
                source.name(), walked - skipped, skipped, deleted, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos));
    }

    /**
     * Walks the target's own keys and deletes those the source cluster does not hold (deleted while
     * the node missed writes), except keys written through the proxy since the start: a copy adds
     * and replaces, it never deletes, so without this a deletion the node missed would stay.
     * Paced like the copy.
     */
    private void prune(NodeSync sync) throws IOException, InterruptedException {
        NodeLinkConnection[] sources = new NodeLinkConnection[source.nodes().length];
        try (NodeLinkConnection walk = NodeLinkConnection.open(target.connections[0][0][0], linkTimeoutMs);
             NodeLinkConnection out = NodeLinkConnection.open(target.connections[0][0][0], linkTimeoutMs)) {
            for (int i = 0; i < sources.length; i++) {
                if (source.nodes()[i].holdsKeys()) {
                    sources[i] = NodeLinkConnection.open(source.nodes()[i].connections[0][0][0], linkTimeoutMs);
                }
            }
            boolean[] unsupported = {false};
            sync.walk(walk, keys -> {
                List<List<ByteBuf>> bySource = new ArrayList<>();
                for (int i = 0; i < sources.length; i++) {
                    bySource.add(new ArrayList<>());
                }
                for (ByteBuf key : keys) {
                    int from = sources.length == 1 ? 0 : sourceNodeOf(key);
                    if (from >= 0 && sources[from] != null) {
                        bySource.get(from).add(key);
                    } // else no node of the source holds its slot now: kept, as nothing says it was deleted
                }
                for (int i = 0; i < sources.length && !unsupported[0]; i++) {
                    if (!bySource.get(i).isEmpty()) {
                        int gone = sync.deleteAbsent(sources[i], out, bySource.get(i), this::untouched);
                        unsupported[0] = gone < 0;
                        deleted += Math.max(gone, 0);
                        metrics.resyncKeysDeleted.inc(Math.max(gone, 0));
                    }
                }
                pruneWalked += keys.size();
                pace();
            });
        } finally {
            for (NodeLinkConnection link : sources) {
                if (link != null) {
                    link.close();
                }
            }
        }
    }

    /** Whether no client wrote {@code key} through the proxy since the resync began. */
    private boolean untouched(ByteBuf key) {
        return !target.writtenDuringResync.contains(ByteBuffer.wrap(ByteBufUtil.getBytes(key)));
    }

    /** The node of the source cluster that holds {@code key}, or {@link io.metacluster.spi.Topology#SPANS_NODES}. */
    private int sourceNodeOf(ByteBuf key) {
        Command probe = Command.of(key.retainedSlice(), "RESYNC", CommandKind.READ, 0, key.readableBytes(), null, 0);
        try {
            return source.topology().nodeFor(probe);
        } finally {
            probe.release();
        }
    }

    Node targetNode() {
        return target;
    }

    /** Where the copy stands, for an operator. */
    ClusterStatus.ResyncProgress progress() {
        return new ClusterStatus.ResyncProgress("copying", source.name(), walked, skipped,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos));
    }

    @Override
    public NodeLink source() {
        return sourceLink;
    }

    @Override
    public NodeLink secondSource() throws IOException {
        if (secondSource == null) {
            try {
                secondSource = NodeLinkConnection.open(sourceNode.connections[0][0][0], linkTimeoutMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        return secondSource;
    }

    @Override
    public NodeLink target() {
        return targetLink;
    }

    @Override
    public boolean wants(ByteBuf key) {
        boolean wanted = isTargets(key) && untouched(key);
        if (!wanted) {
            skipped = skipped + 1;
            metrics.resyncKeysSkipped.inc();
        }
        return wanted;
    }

    /** Whether the target node holds {@code key} in its cluster's topology. */
    private boolean isTargets(ByteBuf key) {
        if (target.cluster.nodes().length == 1) {
            return true;
        }
        Command probe = Command.of(key.retainedSlice(), "RESYNC", CommandKind.READ, 0, key.readableBytes(), null, 0);
        try {
            return target.cluster.topology().nodeFor(probe) == targetIndex;
        } finally {
            probe.release();
        }
    }

    @Override
    public boolean keepExisting() {
        return keepExisting;
    }

    @Override
    public void copied(int keys) throws InterruptedException {
        walked = walked + keys;
        metrics.resyncKeysWalked.inc(keys);
        pace();
    }

    /** Says how far the resync got every little while, and waits as long as {@code keys-per-second} needs. */
    private void pace() throws InterruptedException {
        long now = System.nanoTime();
        if (now - lastProgressNanos >= PROGRESS_EVERY_NANOS) {
            lastProgressNanos = now;
            log.info("resync of node {} from cluster {}: {} keys walked, {} left alone, {} deleted, {} s", target,
                    source.name(), walked + pruneWalked, skipped, deleted, TimeUnit.NANOSECONDS.toSeconds(now - startNanos));
        }
        long due = startNanos + (walked + pruneWalked) * 1_000_000_000L / config.keysPerSecond();
        if (due > now) {
            TimeUnit.NANOSECONDS.sleep(due - now);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }
}
