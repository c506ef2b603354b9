package io.metacluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a running daemon's admin endpoint ({@code /clusters}, {@code /config}, {@code /metrics}) for {@code top}. */
final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /** @param token the admin token, or null when the endpoint has none */
    AdminClient(String hostPort, String token) {
        this.base = "http://" + hostPort;
        this.token = token == null || token.isEmpty() ? null : token;
    }

    String base() {
        return base;
    }

    /**
     * The daemon at one moment.
     *
     * @param nanos     when it was read ({@link System#nanoTime}), for rates between two samples
     * @param listeners the listeners' names, in config order
     * @param clusters  {@code /clusters} as it was answered
     * @param metrics   {@code /metrics}: each sample's value by its name (with its labels, if any)
     */
    record Sample(long nanos, List<String> listeners, JsonNode clusters, Map<String, Double> metrics) {
        /** The value of metric {@code name}, or NaN when the daemon does not have it. */
        double metric(String name) {
            return metrics.getOrDefault(name, Double.NaN);
        }
    }

    /** Reads the three pages. @throws IOException naming the page and why it could not be read */
    Sample sample() throws IOException, InterruptedException {
        long nanos = System.nanoTime();
        JsonNode clusters = JSON.readTree(get("/clusters"));
        List<String> listeners = new ArrayList<>();
        JSON.readTree(get("/config")).path("listeners").forEach(listener -> listeners.add(listener.path("name").asText()));
        return new Sample(nanos, listeners, clusters, parseMetrics(get("/metrics")));
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot read " + base + path + ": nothing answers there (is the daemon running, with an"
                    + " admin: { bind: ... } block naming this address?)", e);
        } catch (IOException e) {
            throw new IOException("cannot read " + base + path + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        if (response.statusCode() != 200) {
            String hint = response.statusCode() == 401 ? " (set METACLUSTER_ADMIN_TOKEN to the admin token)" : "";
            throw new IOException(base + path + " answered " + response.statusCode() + hint);
        }
        return response.body();
    }

    /**
     * The samples of a Prometheus text-format page: a line is {@code name[{labels}] value [timestamp]};
     * comments and blank lines carry no sample.
     */
    static Map<String, Double> parseMetrics(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int labelsEnd = line.indexOf('{') < 0 ? 0 : line.lastIndexOf('}') + 1;
            int space = line.indexOf(' ', labelsEnd);
            if (space < 0) {
                continue;
            }
            String value = line.substring(space + 1).trim().split(" ")[0];
            samples.put(line.substring(0, space), switch (value) {
                // the format's own spellings, which Double.parseDouble does not take
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> parse(value);
            });
        }
        return samples;
    }

    private static double parse(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
