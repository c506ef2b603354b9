package io.metacluster.engine;

import io.metacluster.spi.NodeSync;

import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Lists every key of a cluster for a verifier's scrub ({@link io.metacluster.spi.VerifyContext#walkKeys}):
 * node after node (those that hold keys: a Redis Cluster's masters), over a {@link NodeLinkConnection} of its own (lane 0: the configured
 * database), by the protocol's {@link NodeSync#walk}. Blocking, on the caller's thread.
 */
final class KeyWalks {
    private KeyWalks() {
    }

    static boolean canWalk(Cluster cluster) {
        return cluster.config().protocol() != null && cluster.config().protocol().nodeSync() != null;
    }

    /**
     * @param stopping true once the daemon stops: the walk ends with {@link InterruptedException}
     */
    static void walk(Cluster cluster, NodeSync.KeyBatches batches, BooleanSupplier stopping)
            throws IOException, InterruptedException {
        if (!canWalk(cluster)) {
            throw new UnsupportedOperationException("the protocol of cluster " + cluster.name() + " cannot list keys");
        }
        NodeSync sync = cluster.config().protocol().nodeSync();
        for (Node node : cluster.nodes()) {
            checkStopping(stopping);
            if (!node.holdsKeys()) {
                continue; // a Redis Cluster replica lists its master's keys again
            }
            NodeConnection through = node.connections[0][0][0];
            // a walk waits on the node like a resync: a slow SCAN is not a broken link
            try (NodeLinkConnection link = NodeLinkConnection.open(through, Math.max(10_000, through.requestTimeoutMs()))) {
                sync.walk(link, keys -> {
                    checkStopping(stopping);
                    batches.keys(keys);
                });
            }
        }
    }

    private static void checkStopping(BooleanSupplier stopping) throws InterruptedException {
        if (stopping.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("the daemon is stopping");
        }
    }
}
