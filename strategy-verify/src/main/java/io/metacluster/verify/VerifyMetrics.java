package io.metacluster.verify;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/** What a verifier counts, under {@code listener.<name>.verify.}. Thread-safe. */
final class VerifyMetrics {
    /** Why a sampled read ended without a verdict. */
    enum Skip {
        /** The command's replies differ by nature, or it has no key (the protocol says so). */
        NOT_COMPARABLE,
        /** No other healthy cluster to compare with. */
        NO_CLUSTER,
        /** Writes of the key kept being in flight through every re-check. */
        WRITES_IN_FLIGHT,
        /** A cluster answered with an error, or a reply that cannot be read. */
        ERROR_REPLY,
        /** A cluster did not answer (down, connection lost, timeout). */
        NO_REPLY,
        /** The daemon stopped while the check waited. */
        SHUTDOWN;

        String metricName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    final Meter sampled;
    final Meter match;
    final Meter mismatch;
    final Meter repaired;
    final Meter repairFailed;
    final Meter rechecked;
    final Meter dropped;
    private final Map<Skip, Meter> skipped = new EnumMap<>(Skip.class);

    VerifyMetrics(MetricRegistry registry, String listener) {
        String prefix = MetricRegistry.name("listener", listener, "verify");
        sampled = registry.meter(prefix + ".sampled");
        match = registry.meter(prefix + ".match");
        mismatch = registry.meter(prefix + ".mismatch");
        repaired = registry.meter(prefix + ".repaired");
        repairFailed = registry.meter(prefix + ".repair-failed");
        rechecked = registry.meter(prefix + ".rechecked");
        dropped = registry.meter(prefix + ".dropped");
        for (Skip skip : Skip.values()) {
            skipped.put(skip, registry.meter(prefix + ".skipped." + skip.metricName()));
        }
    }

    void skipped(Skip reason) {
        skipped.get(reason).mark();
    }
}
