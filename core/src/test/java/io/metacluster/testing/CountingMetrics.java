package io.metacluster.testing;

import io.metacluster.spi.Metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The SPI's {@link Metrics} for tests of an extension: counts kept in memory, read back by name. */
public final class CountingMetrics implements Metrics {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    @Override
    public Counter counter(String name) {
        AtomicLong count = counts.computeIfAbsent(name, n -> new AtomicLong());
        return new Counter() {
            @Override
            public void inc(long n) {
                count.addAndGet(n);
            }

            @Override
            public long count() {
                return count.get();
            }
        };
    }

    @Override
    public Timer timer(String name) {
        AtomicLong count = counts.computeIfAbsent(name, n -> new AtomicLong());
        return nanos -> count.incrementAndGet();
    }

    /** How many events the counter {@code name} counted (timers: how many durations were recorded); 0 when never asked for. */
    public long count(String name) {
        AtomicLong count = counts.get(name);
        return count == null ? 0 : count.get();
    }
}
