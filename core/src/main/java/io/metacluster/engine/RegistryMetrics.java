package io.metacluster.engine;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.metacluster.spi.Metrics;

import java.util.concurrent.TimeUnit;

/**
 * The SPI's {@link Metrics} over the daemon's Dropwizard registry, under a fixed prefix: extensions
 * name their figures, the engine decides where they live and how they are exported. A counter is a
 * {@link Meter}, so its rate is exported along with its count.
 */
final class RegistryMetrics implements Metrics {
    private final MetricRegistry registry;
    private final String prefix;

    RegistryMetrics(MetricRegistry registry, String prefix) {
        this.registry = registry;
        this.prefix = prefix;
    }

    @Override
    public Counter counter(String name) {
        Meter meter = registry.meter(MetricRegistry.name(prefix, name));
        return new Counter() {
            @Override
            public void inc(long n) {
                meter.mark(n);
            }

            @Override
            public long count() {
                return meter.getCount();
            }
        };
    }

    @Override
    public Timer timer(String name) {
        com.codahale.metrics.Timer timer = registry.timer(MetricRegistry.name(prefix, name));
        return nanos -> timer.update(nanos, TimeUnit.NANOSECONDS);
    }
}
