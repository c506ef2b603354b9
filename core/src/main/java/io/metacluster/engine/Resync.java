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
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One resync of a node: every node of the source cluster in turn is walked by the protocol
 * ({@link NodeSync#copy}) and its keys written to the target node, at most
 * {@code keys-per-second}. Keys written through the proxy since the start are left alone (see
 * {@link Node#written}); of a sharded target cluster, only the target node's keys are copied.
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
        } finally {
            target.writtenDuringResync = null;
        }
        metrics.resyncsCompleted.inc();
        log.info("resync of node {} from cluster {} done: {} keys copied, {} left alone, in {} s", target, source.name(),
                walked - skipped, skipped, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos));
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
        boolean wanted = isTargets(key) && !target.writtenDuringResync.contains(ByteBuffer.wrap(ByteBufUtil.getBytes(key)));
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
        long now = System.nanoTime();
        if (now - lastProgressNanos >= PROGRESS_EVERY_NANOS) {
            lastProgressNanos = now;
            log.info("resync of node {} from cluster {}: {} keys walked, {} left alone, {} s", target, source.name(),
                    walked, skipped, TimeUnit.NANOSECONDS.toSeconds(now - startNanos));
        }
        long due = startNanos + walked * 1_000_000_000L / config.keysPerSecond();
        if (due > now) {
            TimeUnit.NANOSECONDS.sleep(due - now);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }
}
