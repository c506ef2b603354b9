package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Live reload of the config of a daemon run as an operator runs it (bin/metacluster, its own
 * process) in front of real redis-servers: on SIGHUP and on {@code POST /reload}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReloadIT {
    private static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    RedisServer dc1;
    RedisServer dc2;
    RedisServer dc3;
    Path config;
    Path out;
    Process daemon;
    int port;
    int adminPort;

    @BeforeEach
    void start() throws Exception {
        dc1 = RedisServer.start();
        dc2 = RedisServer.start();
        dc3 = RedisServer.start();
        int[] ports = FreePorts.find(2);
        port = ports[0];
        adminPort = ports[1];
        config = dir.resolve("metacluster.yaml");
        out = dir.resolve("out.log");
        Files.writeString(config, config("[dc1, dc2]", ""));
        daemon = new ProcessBuilder(Daemon.home().resolve("bin/metacluster").toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        DaemonProcessIT.awaitPort(port, daemon);
        DaemonProcessIT.awaitPort(adminPort, daemon);
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.destroy();
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            daemon.destroyForcibly();
        }
        for (RedisServer server : new RedisServer[]{dc1, dc2, dc3}) {
            if (server != null) {
                server.close();
            }
        }
    }

    /** Listener main over {@code clusters}; {@code more} is added at the end (more listeners). */
    private String config(String clusters, String more) {
        return """
                io-threads: 2
                replay: { dir: %s }
                admin: { bind: 127.0.0.1:%d }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: %s
                %s
                clusters:
                  - { name: dc1, local: true, nodes: [%s] }
                  - { name: dc2, nodes: [%s] }
                  - { name: dc3, nodes: [%s] }
                """.formatted(dir.resolve("replay"), adminPort, port, clusters, more, dc1.address(), dc2.address(),
                dc3.address());
    }

    private void sighup() throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(daemon.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    /** Waits until the daemon's output has {@code count} lines containing {@code text}; returns the last. */
    private String awaitLog(String text, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.readAllLines(out).stream().filter(line -> line.contains(text)).toList();
            if (lines.size() >= count) {
                return lines.get(count - 1);
            }
            assertThat(daemon.isAlive()).as("the daemon exited").isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("no line with '" + text + "' in " + Files.readString(out));
    }

    private HttpResponse<String> admin(String method, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Clients, each on a connection of its own, writing and reading back their own keys until stopped. */
    private static final class Traffic {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong operations = new AtomicLong();
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> threads = new ArrayList<>();

        Traffic(int port, int clients) {
            for (int c = 0; c < clients; c++) {
                String prefix = "c" + c + ":";
                Thread thread = new Thread(() -> {
                    try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                        for (long n = 0; running.get(); n++) {
                            String key = prefix + (n % 500);
                            client.set(key, "v" + n);
                            String read = client.get(key);
                            if (read == null) {
                                throw new AssertionError(key + " read as nil right after it was written");
                            }
                            operations.addAndGet(2);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                thread.start();
                threads.add(thread);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }

    private static long keys(RedisServer server) {
        try (Jedis direct = RedisBackends.direct(server)) {
            return direct.dbSize();
        }
    }

    @Test
    void clientsStayConnectedAndServedWhileSighupAddsOneClusterAndRemovesAnother() throws Exception {
        Traffic traffic = new Traffic(port, 4);
        try {
            Thread.sleep(1000);
            long first = traffic.operations.get();
            Thread.sleep(1000);
            long before = traffic.operations.get();
            Files.writeString(config, config("[dc1, dc3]", ""));
            sighup();
            String reloaded = awaitLog("config reloaded from", 1);
            assertThat(reloaded).contains("(SIGHUP)", "listener main: clusters [dc1, dc2] -> [dc1, dc3]",
                    "cluster dc2 removed", "cluster dc3 added");
            long atReload = traffic.operations.get();
            Thread.sleep(300); // writes sent to dc2 just before the reload are still answered by it
            try (Jedis direct = RedisBackends.direct(dc2)) {
                direct.flushAll();
            }
            Thread.sleep(1500);
            long after = traffic.operations.get();
            traffic.stop();
            System.out.printf("reload under traffic, 4 clients: %d operations in the second before SIGHUP, %d from SIGHUP"
                    + " to the log line, %d in the 1.8 s after; %s%n", before - first, atReload - before, after - atReload,
                    reloaded.substring(reloaded.indexOf("config reloaded")));
            assertThat(traffic.failures).as("clients that lost their connection or an answer").isEmpty();
            assertThat(after - atReload).as("answers after the reload").isGreaterThan(100);
        } finally {
            traffic.stop();
        }
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            assertThat(client.set("marker", "after")).isEqualTo("OK");
        }
        Thread.sleep(200);
        assertThat(keys(dc3)).as("dc3 gets the writes").isPositive();
        try (Jedis d1 = RedisBackends.direct(dc1); Jedis d2 = RedisBackends.direct(dc2); Jedis d3 = RedisBackends.direct(dc3)) {
            assertThat(d1.get("marker")).isEqualTo("after");
            assertThat(d3.get("marker")).isEqualTo("after");
            assertThat(d2.dbSize()).as("dc2 is no longer written to").isZero();
        }
        String clusters = admin("GET", "/clusters", null).body();
        assertThat(clusters).contains("\"dc1\"", "\"dc3\"").doesNotContain("\"dc2\"");
        assertThat(admin("GET", "/metrics", null).body()).contains("metacluster_reload_ok 1.0");
    }

    @Test
    void aNodeReplacedInAClusterIsDrainedWhileClientsKeepTheirConnections() throws Exception {
        try (RedisServer replacement = RedisServer.start()) {
            Traffic traffic = new Traffic(port, 4);
            try {
                Thread.sleep(1000);
                Files.writeString(config, config("[dc1, dc2]", "").replace("nodes: [" + dc2.address() + "]",
                        "nodes: [" + replacement.address() + "]"));
                sighup();
                String reloaded = awaitLog("config reloaded from", 1);
                assertThat(reloaded).contains("cluster dc2 nodes [" + dc2.address() + "] -> [" + replacement.address() + "]");
                long atReload = traffic.operations.get();
                Thread.sleep(300); // writes sent to the old node just before the reload are still answered by it
                try (Jedis direct = RedisBackends.direct(dc2)) {
                    direct.flushAll();
                }
                Thread.sleep(1500);
                traffic.stop();
                assertThat(traffic.failures).as("clients that lost their connection or an answer").isEmpty();
                assertThat(traffic.operations.get() - atReload).as("answers after the reload").isGreaterThan(100);
            } finally {
                traffic.stop();
            }
            try (Jedis client = new Jedis("127.0.0.1", port)) {
                assertThat(client.set("marker", "after")).isEqualTo("OK");
            }
            Thread.sleep(200);
            try (Jedis old = RedisBackends.direct(dc2); Jedis now = RedisBackends.direct(replacement)) {
                assertThat(now.get("marker")).isEqualTo("after");
                assertThat(old.dbSize()).as("the old node is no longer written to").isZero();
            }
            assertThat(admin("GET", "/clusters", null).body()).contains(replacement.address()).doesNotContain(dc2.address());
        }
    }

    @Test
    void aClusterRemovedAndAddedBackReloadAfterReloadUnderTraffic() throws Exception {
        Traffic traffic = new Traffic(port, 4);
        try {
            for (int i = 0; i < 6; i++) {
                Files.writeString(config, config(i % 2 == 0 ? "[dc1, dc2, dc3]" : "[dc1, dc2]", ""));
                HttpResponse<String> reloaded = admin("POST", "/reload", null);
                assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
                assertThat(reloaded.body()).contains(i % 2 == 0 ? "cluster dc3 added" : "cluster dc3 removed");
                Thread.sleep(200);
            }
            Files.writeString(config, config("[dc1, dc2, dc3]", ""));
            assertThat(admin("POST", "/reload", null).statusCode()).isEqualTo(200);
            Thread.sleep(500);
            traffic.stop();
            assertThat(traffic.failures).as("clients that lost their connection or an answer").isEmpty();
        } finally {
            traffic.stop();
        }
        try (Jedis client = new Jedis("127.0.0.1", port); Jedis d3 = RedisBackends.direct(dc3)) {
            assertThat(client.set("marker", "last")).isEqualTo("OK");
            Thread.sleep(200);
            assertThat(d3.get("marker")).isEqualTo("last");
        }
        String metrics = admin("GET", "/metrics", null).body();
        assertThat(metrics).as("the metrics of dc3 as added last, not taken by the retirement before")
                .contains("metacluster_cluster_dc3_healthy 1.0", "metacluster_reload_ok 7.0");
        assertThat(Files.readString(out).lines().filter(line -> line.contains("config reloaded")).count()).isEqualTo(7);
    }

    @Test
    void aListenerMovedToAnotherAddressIsOpenedThereAndClosedHere() throws Exception {
        int moved = FreePorts.find();
        try (Socket old = new Socket("127.0.0.1", port)) {
            old.setSoTimeout(10_000);
            Files.writeString(config, config("[dc1, dc2]", "").replace("bind: 127.0.0.1:" + port, "bind: 127.0.0.1:" + moved));
            HttpResponse<String> reloaded = admin("POST", "/reload", null);
            assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
            assertThat(reloaded.body()).contains("listener main moved to redis on 127.0.0.1:" + moved);
            try (Jedis client = new Jedis("127.0.0.1", moved)) {
                assertThat(client.set("moved", "yes")).isEqualTo("OK");
            }
            assertThat(old.getInputStream().read()).as("the old listener's idle client is closed").isEqualTo(-1);
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).as("nothing listens on the old address")
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void aRefusedConfigChangesNothingAndPostReloadAppliesAGoodOne() throws Exception {
        Files.writeString(config, config("[dc1, dc2]", "").replace("    protocol: redis", "    protocl: redis"));
        sighup();
        String refusal = awaitLog("config reload (SIGHUP) refused", 1);
        assertThat(refusal).contains(config + ":6: listeners[0].protocl: unknown field 'protocl'");
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            assertThat(client.set("still", "served")).isEqualTo("OK");
            assertThat(client.get("still")).isEqualTo("served");
        }

        HttpResponse<String> bad = admin("POST", "/reload", null);
        assertThat(bad.statusCode()).isEqualTo(422);
        assertThat(bad.body()).contains(config + ":6: listeners[0].protocl");

        Files.writeString(config, config("[dc1, dc2]", "").replace("io-threads: 2", "io-threads: 3"));
        HttpResponse<String> threads = admin("POST", "/reload", null);
        assertThat(threads.statusCode()).isEqualTo(422);
        assertThat(threads.body()).contains("cannot change while running", "io-threads: 2 -> 3");

        Files.writeString(config, config("[dc1, dc2]", "").replace("{ name: dc2, nodes:", "{ name: dc2, password: p, nodes:"));
        HttpResponse<String> password = admin("POST", "/reload", null);
        assertThat(password.statusCode()).isEqualTo(422);
        assertThat(password.body()).contains("clusters.dc2: its protocol, username, password, database or tls");

        int extra = FreePorts.find();
        try (ServerSocket taken = new ServerSocket(extra, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(config, config("[dc1, dc2]", """
                      - { name: extra, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc3] }
                    """.formatted(extra)));
            HttpResponse<String> busy = admin("POST", "/reload", null);
            assertThat(busy.statusCode()).isEqualTo(422);
            assertThat(busy.body()).contains("listener extra cannot bind 127.0.0.1:" + extra);
        }
        assertThat(admin("GET", "/clusters", null).body()).as("nothing changed").doesNotContain("\"dc3\"");
        assertThat(admin("GET", "/config", null).body()).doesNotContain("extra");

        Files.writeString(config, config("[dc1, dc2]", """
                  - { name: extra, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc3] }
                """.formatted(extra)).replace("admin: { bind: 127.0.0.1:" + adminPort + " }",
                "admin: { bind: 127.0.0.1:" + adminPort + ", token: s3cret }")
                .replace("{ name: dc2, nodes:", "{ name: dc2, local: true, nodes:"));
        HttpResponse<String> good = admin("POST", "/reload", null);
        assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
        assertThat(good.body()).contains("listener extra added", "cluster dc2 local false -> true", "admin token set");
        try (Jedis client = new Jedis("127.0.0.1", extra)) {
            assertThat(client.set("on-extra", "1")).isEqualTo("OK");
        }
        try (Jedis direct = RedisBackends.direct(dc3)) {
            assertThat(direct.get("on-extra")).isEqualTo("1");
        }
        assertThat(admin("GET", "/health", null).statusCode()).as("the new token is required").isEqualTo(401);
        assertThat(admin("GET", "/config", "s3cret").body()).contains("extra");
        String metrics = admin("GET", "/metrics", "s3cret").body();
        assertThat(metrics).contains("metacluster_reload_ok 1.0", "metacluster_reload_refused 5.0");
    }
}
