package io.metacluster.engine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * What the engine counts per cluster: {@code cluster.<name>.*}. The per-node figures
 * ({@link NodeMetrics}) add to these, so a cluster's are the sums over its nodes.
 */
final class ClusterMetrics {
    /** Where the cluster's nodes register theirs. */
    final MetricRegistry registry;
    final String prefix;
    final Counter requests;
    final Meter errors;
    final Timer latency;
    final Counter timeouts;
    final Counter stateChanges;
    final Counter writesMissed;
    final Counter writesRecorded;
    final Counter writesReplayed;
    final Counter replayOverflows;
    final Counter resyncsStarted;
    final Counter resyncsCompleted;
    final Counter resyncKeysWalked;
    final Counter resyncKeysSkipped;
    /** Nodes that left the ring ({@code on-node-down: eject}), and came back. */
    final Counter ejections;
    final Counter rejoins;
    /** Requests sent again where the topology's redirection said (Redis Cluster MOVED, ASK). */
    final Counter redirects;
    final Counter resyncKeysDeleted;

    ClusterMetrics(MetricRegistry registry, String cluster) {
        this.registry = registry;
        prefix = MetricRegistry.name("cluster", cluster);
        requests = registry.counter(prefix + ".requests");
        errors = registry.meter(prefix + ".errors");
        latency = latencyTimer(registry, prefix);
        timeouts = registry.counter(prefix + ".timeouts");
        stateChanges = registry.counter(prefix + ".state-changes");
        writesMissed = registry.counter(prefix + ".writes-missed");
        writesRecorded = registry.counter(prefix + ".replay.recorded");
        writesReplayed = registry.counter(prefix + ".replay.replayed");
        replayOverflows = registry.counter(prefix + ".replay.overflows");
        resyncsStarted = registry.counter(prefix + ".resync.started");
        resyncsCompleted = registry.counter(prefix + ".resync.completed");
        resyncKeysWalked = registry.counter(prefix + ".resync.keys-walked");
        resyncKeysSkipped = registry.counter(prefix + ".resync.keys-skipped");
        ejections = registry.counter(prefix + ".ejections");
        rejoins = registry.counter(prefix + ".rejoins");
        redirects = registry.counter(prefix + ".redirects");
        resyncKeysDeleted = registry.counter(prefix + ".resync.keys-deleted");
    }

    /** {@code <prefix>.latency}: sampled (see NodeConnection.replied); the default reservoir would also take a lock per update. */
    static Timer latencyTimer(MetricRegistry registry, String prefix) {
        return registry.timer(prefix + ".latency", () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
    }
}
