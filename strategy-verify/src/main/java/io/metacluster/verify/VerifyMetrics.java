package io.metacluster.verify;

import io.metacluster.spi.Metrics;
import io.metacluster.spi.Metrics.Counter;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/** What a verifier counts, in the scope the engine gives it ({@code listener.<name>.verify}). Thread-safe. */
final class VerifyMetrics {
    /** Why a sampled read ended without a verdict. */
    enum Skip {
        /** The command's replies differ by nature, or it has no key (the protocol says so). */
        NOT_COMPARABLE,
        /** No other healthy cluster to compare with, or one compared went out of reads (down, replaying, resyncing). */
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

    final Counter sampled;
    final Counter match;
    final Counter mismatch;
    final Counter repaired;
    /** Clusters a repair wrote to: one repair may fix several. */
    final Counter clustersRepaired;
    final Counter repairFailed;
    /** Conditional repair writes a cluster refused because a newer write got there first (or put off for one in flight). */
    final Counter repairDeclined;
    final Counter rechecked;
    final Counter dropped;
    /** The scrub's: keys looked at (over every cluster's walk), declared divergent, repaired; passes done and their duration. */
    final Counter scrubScanned;
    final Counter scrubDivergent;
    final Counter scrubRepaired;
    final Counter scrubPasses;
    final Metrics.Timer scrubPassTime;
    private final Map<Skip, Counter> skipped = new EnumMap<>(Skip.class);

    VerifyMetrics(Metrics metrics) {
        sampled = metrics.counter("sampled");
        match = metrics.counter("match");
        mismatch = metrics.counter("mismatch");
        repaired = metrics.counter("repaired");
        clustersRepaired = metrics.counter("clusters-repaired");
        repairFailed = metrics.counter("repair-failed");
        repairDeclined = metrics.counter("repair-declined");
        rechecked = metrics.counter("rechecked");
        dropped = metrics.counter("dropped");
        scrubScanned = metrics.counter("scrub.scanned");
        scrubDivergent = metrics.counter("scrub.divergent");
        scrubRepaired = metrics.counter("scrub.repaired");
        scrubPasses = metrics.counter("scrub.passes");
        scrubPassTime = metrics.timer("scrub.pass-duration");
        for (Skip skip : Skip.values()) {
            skipped.put(skip, metrics.counter("skipped." + skip.metricName()));
        }
    }

    void skipped(Skip reason) {
        skipped.get(reason).inc();
    }
}
