package io.metacluster.admin;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The daemon's Dropwizard registry as Prometheus metric families, read at each scrape. It maps
 * as the Prometheus client's own Dropwizard bridge ({@code prometheus-metrics-instrumentation-dropwizard},
 * not available to this build) does, so that one can replace it: the dotted name sanitized
 * ({@code cluster.dc1.requests} becomes {@code metacluster_cluster_dc1_requests}); a counter is a
 * gauge (a Dropwizard counter may go down); a meter is a counter ({@code _total}); a timer is a
 * summary in seconds and a histogram a summary of its values, with quantiles 0.5, 0.75, 0.95,
 * 0.98, 0.99 and 0.999; a gauge whose value is not a number or a boolean is left out.
 */
final class DropwizardCollector implements MultiCollector {
    private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final MetricRegistry registry;
    private final String prefix;

    DropwizardCollector(MetricRegistry registry, String prefix) {
        this.registry = registry;
        this.prefix = prefix;
    }

    /** {@code dropwizardName} as a valid Prometheus metric name under the prefix. */
    String prometheusName(String dropwizardName) {
        return MetricNames.prometheus(prefix, dropwizardName);
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> families = new ArrayList<>();
        Set<String> names = new HashSet<>();
        add(families, names, "gauge", registry.getGauges(), DropwizardCollector::gauge);
        add(families, names, "counter", registry.getCounters(), (Counter counter) -> gauge(counter.getCount()));
        add(families, names, "meter", registry.getMeters(), (Meter meter) -> CounterSnapshot.builder()
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(meter.getCount()).build()));
        add(families, names, "timer, in seconds", registry.getTimers(),
                (Timer timer) -> summary(timer.getSnapshot(), timer.getCount(), 1 / NANOS_PER_SECOND));
        add(families, names, "histogram", registry.getHistograms(),
                (Histogram histogram) -> summary(histogram.getSnapshot(), histogram.getCount(), 1));
        return new MetricSnapshots(families);
    }

    /** Each metric made a family by {@code family} (null: left out), named and described; a name taken twice keeps the first. */
    private <M> void add(List<MetricSnapshot> families, Set<String> names, String kind, Map<String, M> metrics,
                         Function<M, MetricSnapshot.Builder<?>> family) {
        metrics.forEach((dropwizardName, metric) -> {
            String name = prometheusName(dropwizardName);
            MetricSnapshot.Builder<?> builder = family.apply(metric);
            if (builder != null && names.add(name)) {
                families.add(builder.name(name).help("Dropwizard " + kind + " " + dropwizardName).build());
            }
        });
    }

    private static GaugeSnapshot.Builder gauge(Gauge<?> gauge) {
        Object value = gauge.getValue();
        if (value instanceof Number number) {
            return gauge(number.doubleValue());
        }
        if (value instanceof Boolean bool) {
            return gauge(bool ? 1 : 0);
        }
        return null;
    }

    private static GaugeSnapshot.Builder gauge(double value) {
        return GaugeSnapshot.builder().dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build());
    }

    private static SummarySnapshot.Builder summary(Snapshot snapshot, long count, double factor) {
        Quantiles.Builder quantiles = Quantiles.builder();
        for (double q : QUANTILES) {
            quantiles.quantile(new Quantile(q, snapshot.getValue(q) * factor));
        }
        return SummarySnapshot.builder().dataPoint(SummarySnapshot.SummaryDataPointSnapshot.builder()
                .count(count).quantiles(quantiles.build()).build());
    }
}
