package io.metacluster.admin;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.metacluster.testing.PrometheusText;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DropwizardCollectorTest {
    private final MetricRegistry registry = new MetricRegistry();

    private PrometheusText scrape() throws IOException {
        PrometheusRegistry prometheus = new PrometheusRegistry();
        prometheus.register(new DropwizardCollector(registry, "metacluster"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, prometheus.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        return PrometheusText.parse(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void eachKindOfMetricIsItsPrometheusFamily() throws IOException {
        registry.counter("listener.main.connections").inc(3);
        registry.meter("listener.main.auth-failures").mark(2);
        registry.gauge("cluster.dc1.node.127.0.0.1:7001.up", () -> (Gauge<Integer>) () -> 1);
        registry.gauge("cluster.dc1.healthy", () -> (Gauge<Boolean>) () -> false);
        registry.gauge("cluster.dc1.name", () -> (Gauge<String>) () -> "not a number");
        for (int i = 1; i <= 100; i++) {
            registry.timer("cluster.dc1.latency").update(i, TimeUnit.MILLISECONDS);
        }
        registry.histogram("sizes").update(7);

        PrometheusText text = scrape();

        assertThat(text.types).containsEntry("metacluster_listener_main_connections", "gauge")
                .containsEntry("metacluster_listener_main_auth_failures_total", "counter")
                .containsEntry("metacluster_cluster_dc1_node_127_0_0_1_7001_up", "gauge")
                .containsEntry("metacluster_cluster_dc1_latency", "summary")
                .containsEntry("metacluster_sizes", "summary")
                .doesNotContainKey("metacluster_cluster_dc1_name");
        assertThat(text.value("metacluster_listener_main_connections")).isEqualTo(3);
        assertThat(text.value("metacluster_listener_main_auth_failures_total")).isEqualTo(2);
        assertThat(text.value("metacluster_cluster_dc1_healthy")).isZero();
        assertThat(text.value("metacluster_cluster_dc1_latency_count")).isEqualTo(100);
        assertThat(text.value("metacluster_cluster_dc1_latency{quantile=\"0.5\"}")).as("seconds").isBetween(0.045, 0.055);
        assertThat(text.value("metacluster_cluster_dc1_latency{quantile=\"0.999\"}")).isEqualTo(0.1);
        assertThat(text.value("metacluster_sizes{quantile=\"0.99\"}")).isEqualTo(7);
    }

    @Test
    void twoNamesThatSanitizeAlikeKeepTheFirst() throws IOException {
        registry.counter("a.b").inc();
        registry.counter("a-b").inc(2);
        assertThat(scrape().types).containsOnlyKeys("metacluster_a_b");
    }

    @Test
    void theReaderRefusesWhatIsNotTheTextFormat() {
        assertThatThrownBy(() -> PrometheusText.parse("x 1\n")).hasMessageContaining("outside its family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx{a=b} 1\n")).hasMessageContaining("not in the text format");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx one\n")).hasMessageContaining("not in the text format");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx 1")).hasMessageContaining("line feed");
        assertThat(PrometheusText.parse("# HELP x a \\\\ help\n# TYPE x summary\nx{quantile=\"0.5\"} 1.5e-3\nx_count 2\n").value("x_count"))
                .isEqualTo(2);
    }
}
