package io.metacluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.metacluster.admin.MetricNames;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One screen of {@code top}, as plain text lines: per listener (connections, commands and errors
 * per second, verification), per cluster and node (state, requests per second, the cluster's
 * errors per second, latency p50/p99, replay depth, last error). Rates are taken between two samples; without a previous one they
 * show as {@code -}.
 */
final class TopFrame {
    private static final String LISTENER_ROW = "%-16s %7s %10s %8s %10s %10s %9s";
    private static final String CLUSTER_ROW = "%-24s %-9s %10s %8s %9s %9s %9s  %s";

    private final AdminClient.Sample previous;
    private final AdminClient.Sample current;

    private TopFrame(AdminClient.Sample previous, AdminClient.Sample current) {
        this.previous = previous;
        this.current = current;
    }

    /** The lines of the screen for {@code current}, with rates since {@code previous} (may be null). */
    static List<String> render(String title, AdminClient.Sample previous, AdminClient.Sample current) {
        return new TopFrame(previous, current).lines(title);
    }

    private List<String> lines(String title) {
        List<String> lines = new ArrayList<>();
        lines.add(title);
        lines.add("");
        lines.add(String.format(Locale.ROOT, LISTENER_ROW, "LISTENER", "CONNS", "OPS/S", "ERR/S", "VERIFIED", "DIVERGENT", "REPAIRED"));
        for (String listener : current.listeners()) {
            String prefix = "listener." + listener;
            lines.add(String.format(Locale.ROOT, LISTENER_ROW, listener, count(prefix + ".connections"),
                    rate(prefix + ".commands."), rate(prefix + ".errors."), count(prefix + ".verify.sampled"),
                    count(prefix + ".verify.mismatch"), count(prefix + ".verify.repaired")));
        }
        lines.add("");
        lines.add(String.format(Locale.ROOT, CLUSTER_ROW, "CLUSTER / NODE", "STATE", "OPS/S", "ERR/S", "P50 ms", "P99 ms", "REPLAY", "LAST ERROR"));
        for (JsonNode cluster : current.clusters()) {
            String name = cluster.path("name").asText();
            String prefix = "cluster." + name;
            long replay = 0;
            for (JsonNode node : cluster.path("nodes")) {
                replay += node.path("replay-pending").asLong();
            }
            lines.add(String.format(Locale.ROOT, CLUSTER_ROW, name + (cluster.path("local").asBoolean() ? " (local)" : ""),
                    cluster.path("healthy").asBoolean() ? "healthy" : "degraded", rate(prefix + ".requests"), rate(prefix + ".errors"),
                    millis(current.metric(quantile(prefix + ".latency", "0.5")) * 1000),
                    millis(current.metric(quantile(prefix + ".latency", "0.99")) * 1000), replay, ""));
            for (JsonNode node : cluster.path("nodes")) {
                String address = node.path("address").asText();
                String lastError = node.path("last-error").isTextual() ? node.path("last-error").asText() : "";
                lines.add(String.format(Locale.ROOT, CLUSTER_ROW, "  " + address, node.path("up").asBoolean() ? "up" : "down",
                        // errors are counted per cluster only
                        rate(prefix + ".node." + address + ".requests"), "", millis(node.path("latency-p50-ms").asDouble(Double.NaN)),
                        millis(node.path("latency-p99-ms").asDouble(Double.NaN)), node.path("replay-pending").asLong(), lastError));
            }
        }
        return lines;
    }

    private static String quantile(String dropwizardName, String quantile) {
        return prometheus(dropwizardName) + "{quantile=\"" + quantile + "\"}";
    }

    private static String prometheus(String dropwizardName) {
        return MetricNames.prometheus(MetricNames.PREFIX, dropwizardName);
    }

    private String count(String dropwizardName) {
        double value = sum(current, dropwizardName);
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.0f", value);
    }

    /**
     * Per second between the two samples, of one metric or (a name ending with {@code .}) the sum
     * of every metric under that prefix (see {@link #sum}).
     */
    private String rate(String dropwizardName) {
        if (previous == null) {
            return "-";
        }
        double seconds = (current.nanos() - previous.nanos()) / 1e9;
        double delta = sum(current, dropwizardName) - sum(previous, dropwizardName);
        return Double.isNaN(delta) || seconds <= 0 ? "-" : String.format(Locale.ROOT, "%.0f", Math.max(0, delta) / seconds);
    }

    /** The value of one metric, or (a name ending with {@code .}) the sum of every metric under that prefix. */
    private static double sum(AdminClient.Sample sample, String dropwizardName) {
        String name = prometheus(dropwizardName);
        if (!dropwizardName.endsWith(".")) {
            // a Dropwizard counter is a gauge there, a meter a counter with the suffix _total
            double value = sample.metric(name);
            return Double.isNaN(value) ? sample.metric(name + "_total") : value;
        }
        double sum = 0;
        boolean any = false;
        for (Map.Entry<String, Double> metric : sample.metrics().entrySet()) {
            if (metric.getKey().startsWith(name) && metric.getKey().indexOf('{') < 0) {
                sum += metric.getValue();
                any = true;
            }
        }
        return any ? sum : Double.NaN;
    }

    private static String millis(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3f", value);
    }
}
