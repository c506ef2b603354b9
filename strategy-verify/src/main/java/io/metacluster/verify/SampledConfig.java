package io.metacluster.verify;

import java.util.Locale;

/**
 * {@code verify: { strategy: sampled, ... }}. A missing key takes its default; values are
 * checked here, so a bad one is refused at start with the field's name.
 *
 * @param rate             share of served reads that are repeated on another cluster, 0 to 1 (default 0.01)
 * @param maxPerSecond     verifications started per second at most, over the listener (default 1000)
 * @param maxInFlight      verifications under way at once at most, over the listener (default 100)
 * @param repair           {@code none}, {@code invalidate} (default), {@code local-wins} or {@code majority}
 * @param recheckDelayMs   how long after a first difference the two clusters are read again (default 50)
 * @param maxRechecks      how many times a re-check is put off because writes of the key are in
 *                         flight, before the sample is skipped (default 3)
 * @param maxLogsPerSecond divergence log lines per second at most (default 10); the metrics count all
 * @param scrub            the background walk over every key ({@link Scrub}); none when absent
 */
public record SampledConfig(Double rate, Integer maxPerSecond, Integer maxInFlight, String repair,
                            Integer recheckDelayMs, Integer maxRechecks, Integer maxLogsPerSecond, Scrub scrub) {

    /**
     * {@code scrub: { keys-per-second: N }}: walk every cluster's keys, pass after pass, comparing
     * each key with the other clusters and repairing by {@code repair}, at most {@code N} keys a
     * second over all walks (default {@value #DEFAULT_KEYS_PER_SECOND}: a pass over a million keys
     * on three clusters in about five minutes, for about 4% of a core on the daemon and 6% over
     * the servers, as measured; README, Scrub).
     */
    public record Scrub(Integer keysPerSecond) {
        static final int DEFAULT_KEYS_PER_SECOND = 10_000;

        public Scrub {
            keysPerSecond = keysPerSecond == null || keysPerSecond == 0 ? DEFAULT_KEYS_PER_SECOND : keysPerSecond;
            if (keysPerSecond < 1) {
                throw new IllegalArgumentException("scrub.keys-per-second must be at least 1, got " + keysPerSecond);
            }
        }
    }

    public SampledConfig {
        rate = rate == null ? 0.01 : rate;
        maxPerSecond = maxPerSecond == null ? 1000 : maxPerSecond;
        maxInFlight = maxInFlight == null ? 100 : maxInFlight;
        repair = repair == null ? "invalidate" : repair;
        recheckDelayMs = recheckDelayMs == null ? 50 : recheckDelayMs;
        maxRechecks = maxRechecks == null ? 3 : maxRechecks;
        maxLogsPerSecond = maxLogsPerSecond == null ? 10 : maxLogsPerSecond;
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("rate must be between 0 and 1 (a share of reads), got " + rate);
        }
        if (maxPerSecond < 1) {
            throw new IllegalArgumentException("max-per-second must be at least 1, got " + maxPerSecond);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max-in-flight must be at least 1, got " + maxInFlight);
        }
        Repair.of(repair);
        if (recheckDelayMs < 1 || recheckDelayMs > 60_000) {
            throw new IllegalArgumentException("recheck-delay-ms must be between 1 and 60000, got " + recheckDelayMs);
        }
        if (maxRechecks < 0 || maxRechecks > 100) {
            throw new IllegalArgumentException("max-rechecks must be between 0 and 100, got " + maxRechecks);
        }
        if (maxLogsPerSecond < 0) {
            throw new IllegalArgumentException("max-logs-per-second must be 0 (no log lines) or more, got " + maxLogsPerSecond);
        }
    }

    /** All defaults. */
    public static SampledConfig defaults() {
        return new SampledConfig(null, null, null, null, null, null, null, null);
    }

    Repair repairPolicy() {
        return Repair.of(repair);
    }

    /** What is done about a divergence once it is declared. */
    enum Repair {
        /** Count and log only. */
        NONE,
        /** Delete the key on every cluster: the next read misses and the application refills it. */
        INVALIDATE,
        /** Copy the key from the cluster that served the read to every healthy cluster that holds something else. */
        LOCAL_WINS,
        /** Read every healthy cluster; copy what most hold to the rest; no majority: invalidate. */
        MAJORITY;

        static Repair of(String name) {
            for (Repair repair : values()) {
                if (repair.configName().equals(name)) {
                    return repair;
                }
            }
            throw new IllegalArgumentException("repair must be one of none, invalidate, local-wins, majority; got '" + name + "'");
        }

        String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
