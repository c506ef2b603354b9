package io.metacluster.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metacluster.config.ConfigLoader;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.PrometheusText;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The admin endpoint and the JMX export of a daemon in front of three real redis-server
 * processes: listener {@code main} over dc1-dc3, listener {@code solo} over dc3 only (so that
 * stopping dc3 leaves it without a healthy cluster).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminIT {
    static final String TOKEN = "t0ken-for-tests";
    static RedisBackends backends;
    static int port;
    static URI admin;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        int[] ports = FreePorts.find(3);
        port = ports[0];
        backends = RedisBackends.start("""
                backend:
                  reconnect-min-ms: 50
                  reconnect-max-ms: 300
                admin:
                  bind: 127.0.0.1:%d
                  token: "%s"
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                  - name: solo
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc3]
                """.formatted(ports[1], TOKEN, port, ports[2]));
        assertThat(backends.daemon.engine.adminAddress().getPort()).isEqualTo(ports[1]);
        admin = URI.create("http://127.0.0.1:" + ports[1]);
    }

    @AfterAll
    static void stop() {
        if (backends != null) {
            backends.close();
        }
    }

    @BeforeEach
    void healthy() throws InterruptedException {
        backends.healthyAndEmpty();
    }

    static HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(admin.resolve(path)).timeout(java.time.Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(path, TOKEN);
    }

    static void traffic() {
        try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
            for (int i = 0; i < 200; i++) {
                client.set("k" + i, "v" + i);
                client.get("k" + i);
            }
        }
    }

    @Test
    void healthAnswersAndUnknownPathsAndMethodsAreRefused() throws Exception {
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");
        assertThat(get("/nothing").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(admin.resolve("/health"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void theTokenIsRequired() throws Exception {
        for (String path : new String[]{"/health", "/ready", "/clusters", "/config", "/metrics", "/nothing"}) {
            HttpResponse<String> without = get(path, null);
            assertThat(without.statusCode()).as(path).isEqualTo(401);
            assertThat(without.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(get(path, TOKEN + "x").statusCode()).as(path).isEqualTo(401);
            assertThat(get(path, TOKEN.substring(1)).statusCode()).as(path).isEqualTo(401);
        }
        assertThat(get("/health", TOKEN).statusCode()).isEqualTo(200);
    }

    @Test
    void configIsTheRunningOneWithoutItsSecrets() throws Exception {
        HttpResponse<String> config = get("/config");
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode json = new ObjectMapper().readTree(config.body());
        assertThat(json.at("/admin/token").asText()).isEqualTo("<redacted>");
        assertThat(json.at("/listeners/1/name").asText()).isEqualTo("solo");
        assertThat(json.at("/backend/reconnect-min-ms").asInt()).isEqualTo(50);
        assertThat(json.at("/backend/connect-timeout-ms").asInt()).as("defaults applied").isEqualTo(1000);
        assertThat(config.body()).doesNotContain(TOKEN);
    }

    @Test
    void clustersShowEachNodeWithItsLatencyAndReplayLog() throws Exception {
        traffic();
        HttpResponse<String> clusters = get("/clusters");
        assertThat(clusters.statusCode()).isEqualTo(200);
        JsonNode json = new ObjectMapper().readTree(clusters.body());
        assertThat(json).hasSize(3);
        JsonNode dc1 = json.get(0);
        assertThat(dc1.get("name").asText()).isEqualTo("dc1");
        assertThat(dc1.get("local").asBoolean()).isTrue();
        assertThat(dc1.get("healthy").asBoolean()).isTrue();
        JsonNode node = dc1.get("nodes").get(0);
        assertThat(node.get("address").asText()).isEqualTo(backends.dc1.address());
        assertThat(node.get("up").asBoolean()).isTrue();
        assertThat(node.get("latency-p50-ms").asDouble()).isPositive();
        assertThat(node.get("latency-p99-ms").asDouble()).isGreaterThanOrEqualTo(node.get("latency-p50-ms").asDouble());
        assertThat(node.get("replay-pending").asInt()).isZero();
        assertThat(node.get("replay-bytes").asLong()).isZero();
        assertThat(node.get("last-error").isNull()).isTrue();
    }

    @Test
    void metricsAreInThePrometheusTextFormat() throws Exception {
        traffic();
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        PrometheusText text = PrometheusText.parse(metrics.body());
        String node = "metacluster_cluster_dc1_node_" + backends.dc1.address().replaceAll("[^0-9]", "_");
        assertThat(text.types)
                .containsEntry("metacluster_listener_main_connections", "gauge")
                .containsEntry("metacluster_listener_main_commands_write", "gauge")
                .containsEntry("metacluster_listener_main_command_set", "gauge")
                .containsEntry("metacluster_listener_main_errors_unavailable", "gauge")
                .containsEntry("metacluster_listener_main_connections_accepted_total", "counter")
                .containsEntry("metacluster_cluster_dc1_latency", "summary")
                .containsEntry("metacluster_cluster_dc1_healthy", "gauge")
                .containsEntry(node + "_up", "gauge")
                .containsEntry(node + "_latency", "summary")
                .containsEntry(node + "_replay_pending", "gauge")
                .containsEntry(node + "_replay_bytes", "gauge")
                .containsEntry(node + "_timeouts", "gauge")
                .containsEntry(node + "_state_changes", "gauge")
                .containsKey("jvm_memory_used_bytes")
                .containsKey("jvm_threads_current");
        assertThat(text.value("metacluster_listener_main_command_set")).isGreaterThanOrEqualTo(200);
        assertThat(text.value("metacluster_listener_main_command_get")).isGreaterThanOrEqualTo(200);
        assertThat(text.value(node + "_requests")).isGreaterThanOrEqualTo(400);
        assertThat(text.value("metacluster_cluster_dc2_requests")).isGreaterThanOrEqualTo(200);
        assertThat(text.value("metacluster_cluster_dc1_healthy")).isEqualTo(1);
        assertThat(text.value(node + "_up")).isEqualTo(1);
        assertThat(text.value(node + "_latency{quantile=\"0.99\"}")).as("seconds").isPositive().isLessThan(10);
    }

    @Test
    void jmxServesTheMetricsOverARealConnection() throws Exception {
        traffic();
        int jmxPort = FreePorts.find();
        RMIServerSocketFactory loopback = p -> new ServerSocket(p, 0, InetAddress.getLoopbackAddress());
        Registry registry = LocateRegistry.createRegistry(jmxPort, null, loopback);
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://127.0.0.1/jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi");
        JMXConnectorServer server = JMXConnectorServerFactory.newJMXConnectorServer(url,
                Map.of("jmx.remote.rmi.server.socket.factory", loopback), ManagementFactory.getPlatformMBeanServer());
        server.start();
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection beans = connector.getMBeanServerConnection();
            assertThat((Long) beans.getAttribute(new ObjectName("metacluster:type=counters,name=listener.main.command.set"), "Count"))
                    .isGreaterThanOrEqualTo(200);
            assertThat((Integer) beans.getAttribute(new ObjectName("metacluster:type=gauges,name=cluster.dc1.healthy"), "Value"))
                    .isEqualTo(1);
            assertThat((Double) beans.getAttribute(new ObjectName("metacluster:type=timers,name=cluster.dc1.latency"), "99thPercentile"))
                    .isPositive();
            // a node's address has a colon: the name factory quotes such a name (and leaves out the type)
            String up = "cluster.dc1.node." + backends.dc1.address() + ".up";
            ObjectName nodeUp = beans.queryNames(new ObjectName("metacluster:*"), null).stream()
                    .filter(name -> unquoted(name.getKeyProperty("name")).equals(up)).findFirst().orElseThrow();
            assertThat((Integer) beans.getAttribute(nodeUp, "Value")).isEqualTo(1);
        } finally {
            server.stop();
            UnicastRemoteObject.unexportObject(registry, true);
        }
    }

    @Test
    void theShippedExampleOfTheAdminBlockIsValidOnceUncommented() throws Exception {
        String shipped = Files.readString(Daemon.home().resolve("conf/metacluster.yaml"));
        String uncommented = shipped.replace("# admin:\n#   bind:", "admin:\n  bind:").replace("\n#   token:", "\n  token:");
        assertThat(uncommented).contains("\nadmin:\n  bind: 127.0.0.1:9121").contains("\n  token: \"${ADMIN_TOKEN:-}\"");
        if (System.getenv("ADMIN_TOKEN") == null) {
            assertThatThrownBy(() -> ConfigLoader.parse("metacluster.yaml", uncommented, backends.daemon.plugins))
                    .hasMessageEndingWith(": admin.token: empty; leave the key out for no token");
        } else {
            assertThat(ConfigLoader.parse("metacluster.yaml", uncommented, backends.daemon.plugins).admin().token())
                    .isEqualTo(System.getenv("ADMIN_TOKEN"));
        }
    }

    private static String unquoted(String value) {
        return value.startsWith("\"") ? ObjectName.unquote(value) : value;
    }

    @Test
    void readyTurnsUnavailableWhileAListenerHasNoHealthyClusterAndBack() throws Exception {
        assertThat(get("/ready").statusCode()).isEqualTo(200);
        backends.dc3.stop();
        try {
            HttpResponse<String> ready = awaitReady(503);
            assertThat(ready.body()).contains("listener solo has no healthy cluster").doesNotContain("listener main");
            JsonNode dc3 = new ObjectMapper().readTree(get("/clusters").body()).get(2);
            assertThat(dc3.get("healthy").asBoolean()).isFalse();
            assertThat(dc3.at("/nodes/0/up").asBoolean()).isFalse();
            assertThat(dc3.at("/nodes/0/last-error").asText()).isNotEmpty();
            PrometheusText text = PrometheusText.parse(get("/metrics").body());
            assertThat(text.value("metacluster_cluster_dc3_healthy")).isZero();
            assertThat(text.value("metacluster_cluster_dc3_state_changes")).isPositive();
        } finally {
            backends.dc3.restart();
        }
        assertThat(awaitReady(200).body()).isEqualTo("ready\n");
    }

    private static HttpResponse<String> awaitReady(int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        HttpResponse<String> ready = get("/ready");
        while (ready.statusCode() != status && System.nanoTime() < deadline) {
            Thread.sleep(50);
            ready = get("/ready");
        }
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(status);
        return ready;
    }
}
