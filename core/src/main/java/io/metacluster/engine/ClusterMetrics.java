package io.metacluster.engine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/** What the engine counts per cluster: {@code cluster.<name>.*}. */
final class ClusterMetrics {
    final Counter requests;
    final Meter errors;
    final Timer latency;
    final Counter writesMissed;
    final Counter writesRecorded;
    final Counter writesReplayed;
    final Counter replayOverflows;
    final Counter resyncsStarted;
    final Counter resyncsCompleted;
    final Counter resyncKeysWalked;
    final Counter resyncKeysSkipped;

    ClusterMetrics(MetricRegistry registry, String cluster) {
        String prefix = MetricRegistry.name("cluster", cluster);
        requests = registry.counter(prefix + ".requests");
        errors = registry.meter(prefix + ".errors");
        // sampled (see NodeConnection.replied); the default reservoir would also take a lock per update
        latency = registry.timer(prefix + ".latency",
                () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
        writesMissed = registry.counter(prefix + ".writes-missed");
        writesRecorded = registry.counter(prefix + ".replay.recorded");
        writesReplayed = registry.counter(prefix + ".replay.replayed");
        replayOverflows = registry.counter(prefix + ".replay.overflows");
        resyncsStarted = registry.counter(prefix + ".resync.started");
        resyncsCompleted = registry.counter(prefix + ".resync.completed");
        resyncKeysWalked = registry.counter(prefix + ".resync.keys-walked");
        resyncKeysSkipped = registry.counter(prefix + ".resync.keys-skipped");
    }
}
