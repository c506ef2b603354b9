package io.metacluster.engine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

import java.util.concurrent.TimeUnit;

/**
 * What the engine counts per node, {@code cluster.<c>.node.<host:port>.*}; each figure is also
 * added to its cluster's ({@link ClusterMetrics}). The replay-log gauges are registered by the
 * engine with the log.
 */
final class NodeMetrics {
    final String prefix;
    private final ClusterMetrics cluster;
    private final Counter requests;
    private final Timer latency;
    private final Counter timeouts;
    private final Counter stateChanges;
    private final Counter writesRecorded;
    private final Counter writesReplayed;

    NodeMetrics(ClusterMetrics cluster, Node node) {
        this.cluster = cluster;
        MetricRegistry registry = cluster.registry;
        prefix = MetricRegistry.name(cluster.prefix, "node", node.address.toString());
        requests = registry.counter(prefix + ".requests");
        latency = ClusterMetrics.latencyTimer(registry, prefix);
        timeouts = registry.counter(prefix + ".timeouts");
        stateChanges = registry.counter(prefix + ".state-changes");
        writesRecorded = registry.counter(prefix + ".replay.recorded");
        writesReplayed = registry.counter(prefix + ".replay.replayed");
        registry.gauge(prefix + ".up", () -> (Gauge<Integer>) () -> node.isUp() ? 1 : 0);
        registry.gauge(prefix + ".ejected", () -> (Gauge<Integer>) () -> node.cluster.isEjected(node) ? 1 : 0);
    }

    /** A request written to the node. */
    void request() {
        requests.inc();
        cluster.requests.inc();
    }

    /** A reply's round trip (sampled by the caller). */
    void latency(long nanos) {
        latency.update(nanos, TimeUnit.NANOSECONDS);
        cluster.latency.update(nanos, TimeUnit.NANOSECONDS);
    }

    /** A connection closed because a reply did not come in time. */
    void timeout() {
        timeouts.inc();
        cluster.timeouts.inc();
    }

    /** The node went up or down. */
    void stateChanged() {
        stateChanges.inc();
        cluster.stateChanges.inc();
    }

    /** A write the node missed, kept in its replay log. */
    void writeRecorded() {
        writesRecorded.inc();
        cluster.writesRecorded.inc();
    }

    /** A missed write the node has now taken. */
    void writeReplayed() {
        writesReplayed.inc();
        cluster.writesReplayed.inc();
    }

    /** The node's latency percentiles in milliseconds: p50, p99, p999. */
    double[] latencyMillis() {
        var snapshot = latency.getSnapshot();
        double toMillis = 1e-6;
        return new double[]{snapshot.getMedian() * toMillis, snapshot.get99thPercentile() * toMillis,
                snapshot.get999thPercentile() * toMillis};
    }
}
