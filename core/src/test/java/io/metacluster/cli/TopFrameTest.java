package io.metacluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The screen {@code top} draws from two readings: rates over the time between them, counters
 * summed per listener, the names the admin endpoint spells (a meter with {@code _total}), and
 * {@code -} where a figure is missing. Against a real daemon: TopIT.
 */
class TopFrameTest {
    private static final String CLUSTERS = """
            [{"name": "dc1", "local": true, "healthy": false, "nodes": [
              {"address": "127.0.0.1:7001", "up": true, "latency-p50-ms": 0.25, "latency-p99-ms": 1.5,
               "replay-pending": 0, "last-error": null},
              {"address": "127.0.0.1:7002", "up": false, "latency-p50-ms": 0.0, "latency-p99-ms": 0.0,
               "replay-pending": 42, "last-error": "connection refused"}]}]
            """;

    private static AdminClient.Sample sample(long nanos, Map<String, Double> metrics) throws Exception {
        JsonNode clusters = new ObjectMapper().readTree(CLUSTERS);
        return new AdminClient.Sample(nanos, List.of("main"), clusters, metrics);
    }

    private static List<String> row(List<String> screen, String first) {
        return screen.stream().map(line -> List.of(line.trim().split("\\s+"))).filter(cells -> cells.get(0).equals(first))
                .findFirst().orElseThrow();
    }

    @Test
    void ratesAreTakenOverTheTimeBetweenTheReadings() throws Exception {
        AdminClient.Sample before = sample(1_000_000_000L, Map.of(
                "metacluster_listener_main_commands_read", 100.0, "metacluster_listener_main_commands_write", 50.0,
                "metacluster_listener_main_errors_protocol", 1.0,
                "metacluster_cluster_dc1_node_127_0_0_1_7001_requests", 1000.0, "metacluster_cluster_dc1_errors_total", 4.0));
        AdminClient.Sample after = sample(3_000_000_000L, Map.of(
                "metacluster_listener_main_commands_read", 500.0, "metacluster_listener_main_commands_write", 250.0,
                "metacluster_listener_main_errors_protocol", 5.0, "metacluster_listener_main_connections", 7.0,
                "metacluster_listener_main_verify_sampled_total", 30.0, "metacluster_listener_main_verify_mismatch_total", 2.0,
                "metacluster_cluster_dc1_node_127_0_0_1_7001_requests", 5000.0, "metacluster_cluster_dc1_errors_total", 10.0,
                "metacluster_cluster_dc1_latency{quantile=\"0.99\"}", 0.0015));

        List<String> screen = TopFrame.render("title", before, after);

        assertThat(screen.get(0)).isEqualTo("title");
        assertThat(row(screen, "main")).containsExactly("main", "7", "300", "2", "30", "2", "-");
        assertThat(row(screen, "dc1")).containsExactly("dc1", "(local)", "degraded", "-", "3", "-", "1.500", "42");
        assertThat(row(screen, "127.0.0.1:7001")).containsExactly("127.0.0.1:7001", "up", "2000", "0.250", "1.500", "0");
        assertThat(row(screen, "127.0.0.1:7002")).containsExactly("127.0.0.1:7002", "down", "-", "0.000", "0.000", "42",
                "connection", "refused");
    }

    @Test
    void withoutAPreviousReadingRatesShowAsADash() throws Exception {
        List<String> screen = TopFrame.render("title", null, sample(1L, Map.of("metacluster_listener_main_connections", 3.0)));
        assertThat(row(screen, "main")).containsExactly("main", "3", "-", "-", "-", "-", "-");
    }
}
