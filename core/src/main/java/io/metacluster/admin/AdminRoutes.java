package io.metacluster.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.metacluster.config.ListenerPlan;
import io.metacluster.engine.Engine;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each admin path answers, from the engine's state at the time of the request. Runs on the
 * admin endpoint's own thread, never on an I/O thread of the proxy.
 */
final class AdminRoutes {
    static final Set<String> PATHS = Set.of("/health", "/ready", "/clusters", "/config", "/metrics");
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON_TYPE = "application/json";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** One answer: its status, content type and body. */
    record Response(HttpResponseStatus status, String contentType, byte[] body) {
        static Response text(HttpResponseStatus status, String text) {
            return new Response(status, TEXT, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private final Engine engine;
    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final PrometheusTextFormatWriter textFormat = PrometheusTextFormatWriter.create();

    AdminRoutes(Engine engine) {
        this.engine = engine;
        prometheus.register(new DropwizardCollector(engine.metrics(), MetricNames.PREFIX));
        JvmMetrics.builder().register(prometheus);
    }

    /** The answer to a GET of {@code path}, one of {@link #PATHS}. */
    Response get(String path) {
        return switch (path) {
            case "/health" -> Response.text(HttpResponseStatus.OK, "ok\n");
            case "/ready" -> ready();
            case "/clusters" -> json(engine.clusterStatus());
            case "/config" -> new Response(HttpResponseStatus.OK, JSON_TYPE,
                    (engine.plan().shown() + "\n").getBytes(StandardCharsets.UTF_8));
            case "/metrics" -> metrics();
            default -> throw new IllegalArgumentException("no route " + path);
        };
    }

    /** Ready when every listener has a healthy cluster to serve reads from. */
    private Response ready() {
        Map<String, Boolean> health = engine.clusterHealth();
        List<String> lacking = new ArrayList<>();
        for (ListenerPlan listener : engine.plan().listeners()) {
            if (listener.clusters().stream().noneMatch(cluster -> health.getOrDefault(cluster, false))) {
                lacking.add("listener " + listener.name() + " has no healthy cluster (of " + listener.clusters() + ")");
            }
        }
        return lacking.isEmpty() ? Response.text(HttpResponseStatus.OK, "ready\n")
                : Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, String.join("\n", lacking) + "\n");
    }

    private Response metrics() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            textFormat.write(out, prometheus.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Response(HttpResponseStatus.OK, textFormat.getContentType(), out.toByteArray());
    }

    private static Response json(Object value) {
        return json(HttpResponseStatus.OK, value);
    }

    /** {@code value} as JSON, kebab-case field names. */
    static Response json(HttpResponseStatus status, Object value) {
        try {
            return new Response(status, JSON_TYPE, JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
