package io.metacluster.cli;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code top}'s reading of {@code /metrics}, on a page written by the Prometheus client's own writer, as the daemon writes it. */
class AdminClientTest {
    @Test
    void readsGaugesCountersAndSummaryQuantilesAsThePrometheusWriterSpellsThem() throws Exception {
        MetricSnapshots snapshots = new MetricSnapshots(
                GaugeSnapshot.builder().name("metacluster_listener_main_connections").help("a counter")
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(3).build()).build(),
                CounterSnapshot.builder().name("metacluster_cluster_dc1_errors").help("a meter")
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(12345678901.0).build()).build(),
                SummarySnapshot.builder().name("metacluster_cluster_dc1_latency").help("a timer")
                        .dataPoint(SummarySnapshot.SummaryDataPointSnapshot.builder().count(7).sum(Double.NaN)
                                .quantiles(Quantiles.builder().quantile(new Quantile(0.5, 0.00025))
                                        .quantile(new Quantile(0.99, Double.POSITIVE_INFINITY)).build()).build()).build());
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(page, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);

        Map<String, Double> samples = AdminClient.parseMetrics(page.toString(StandardCharsets.UTF_8));

        assertThat(samples).containsEntry("metacluster_listener_main_connections", 3.0)
                .containsEntry("metacluster_cluster_dc1_errors_total", 12345678901.0)
                .containsEntry("metacluster_cluster_dc1_latency{quantile=\"0.5\"}", 0.00025)
                .containsEntry("metacluster_cluster_dc1_latency{quantile=\"0.99\"}", Double.POSITIVE_INFINITY)
                .containsEntry("metacluster_cluster_dc1_latency_count", 7.0);
        assertThat(samples.keySet()).noneMatch(name -> name.startsWith("#"));
    }
}
