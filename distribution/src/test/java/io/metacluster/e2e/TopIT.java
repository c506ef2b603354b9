package io.metacluster.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.metacluster.e2e.DaemonProcessIT.awaitPort;
import static io.metacluster.e2e.DaemonProcessIT.metacluster;
import static io.metacluster.e2e.DaemonProcessIT.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code metacluster top} against a daemon started with {@code bin/metacluster run}, in front of
 * two real redis-servers while a client writes and reads: the plain-text screen ({@code --once})
 * shows the traffic, the verification and, once a server is stopped, the node down and its replay
 * log growing; the live view draws in a real terminal (tmux) and quits on q. The daemon logs in
 * the JSON layout meanwhile, every line an object.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TopIT {
    @TempDir
    Path dir;

    @Test
    void topShowsARunningDaemonsFiguresAndTheDaemonLogsJson() throws Exception {
        try (RedisServer dc1 = RedisServer.start(); RedisServer dc2 = RedisServer.start()) {
            int[] ports = FreePorts.find(2);
            int port = ports[0];
            String admin = "127.0.0.1:" + ports[1];
            Path config = Files.writeString(dir.resolve("metacluster.yaml"), """
                    admin: { bind: %s }
                    replay: { dir: %s }
                    listeners:
                      - { name: main, protocol: redis, bind: "127.0.0.1:%d", clusters: [dc1, dc2],
                          verify: { strategy: sampled, rate: 1.0 } }
                    clusters:
                      - { name: dc1, local: true, nodes: [%s] }
                      - { name: dc2, nodes: [%s] }
                    """.formatted(admin, dir.resolve("replay"), port, dc1.address(), dc2.address()));
            Path log = dir.resolve("daemon.log");
            ProcessBuilder start = metacluster("run", "--config", config.toString()).redirectOutput(log.toFile());
            start.environment().put("METACLUSTER_LOG_FORMAT", "json");
            Process daemon = start.start();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            Thread traffic = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    // a new connection after a failure: the traffic must go on while dc2 is stopped
                    try (Jedis client = new Jedis("127.0.0.1", port)) {
                        for (; !stop.get(); i++) {
                            client.set("k" + i % 100, "v" + i);
                            client.get("k" + i % 100);
                            sent.incrementAndGet();
                        }
                    } catch (redis.clients.jedis.exceptions.JedisException e) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                    }
                }
            }, "traffic");
            try {
                awaitPort(port, daemon);
                awaitPort(ports[1], daemon);
                traffic.start();

                String screen = run(metacluster("top", "--once", "--admin", admin), 0);
                assertThat(screen).startsWith("metacluster top  http://" + admin);
                List<String> listener = row(screen, "main");
                assertThat(Double.parseDouble(listener.get(2))).as("listener ops/s\n" + screen).isPositive();
                assertThat(Long.parseLong(listener.get(4))).as("verified\n" + screen).isPositive();
                assertThat(listener.get(5)).as("divergent\n" + screen).isEqualTo("0");
                assertThat(row(screen, "dc1").subList(1, 3)).containsExactly("(local)", "healthy");
                List<String> node1 = row(screen, dc1.address());
                assertThat(node1.get(1)).isEqualTo("up");
                assertThat(Double.parseDouble(node1.get(2))).as("node ops/s\n" + screen).isPositive();
                assertThat(Double.parseDouble(node1.get(4))).as("node p99 ms\n" + screen).isPositive();

                liveViewInATerminal(admin, dc1.address());

                dc2.stop();
                String degraded = awaitScreen(admin, s -> row(s, dc2.address()).get(1).equals("down")
                        && Long.parseLong(row(s, dc2.address()).get(5)) > 0);
                assertThat(row(degraded, "dc2").get(1)).isEqualTo("degraded");
                assertThat(row(degraded, dc2.address()).subList(6, row(degraded, dc2.address()).size()))
                        .as("last error\n" + degraded).isNotEmpty();

                stop.set(true);
                traffic.join(10_000);
                daemon.destroy();
                assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(daemon.exitValue()).as(Files.readString(log)).isZero();
            } finally {
                stop.set(true);
                daemon.destroyForcibly();
            }
            assertThat(sent.get()).isPositive();
            assertEveryLineIsAJsonEvent(log, dc2.address());
        }
    }

    /** The whitespace-separated cells of the first screen line whose first cell is {@code first}. */
    private static List<String> row(String screen, String first) {
        for (String line : screen.split("\n")) {
            List<String> cells = Arrays.asList(line.trim().split("\\s+"));
            if (cells.get(0).equals(first)) {
                return cells;
            }
        }
        throw new AssertionError("no row " + first + " in\n" + screen);
    }

    private interface ScreenCheck {
        boolean test(String screen);
    }

    /** Runs {@code top --once} until its screen passes {@code check} (at most 60 s). */
    private static String awaitScreen(String admin, ScreenCheck check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String screen;
        do {
            screen = run(metacluster("top", "--once", "--admin", admin, "--interval-ms", "200"), 0);
            if (check.test(screen)) {
                return screen;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("top never showed what was expected; last screen:\n" + screen);
    }

    /** The live view in a tmux session of its own: it draws the figures and exits 0 on q. */
    private void liveViewInATerminal(String admin, String node) throws Exception {
        String socket = "metacluster-top-" + ProcessHandle.current().pid();
        String command = Daemon.home().resolve("bin/metacluster") + " top --admin " + admin + "; echo top-exit=$?; sleep 60";
        try {
            tmux(socket, "new-session", "-d", "-s", "top", "-x", "120", "-y", "30", command);
            String screen = awaitPane(socket, s -> s.contains("(q quits)") && s.contains(node + " ") && s.contains("dc1 (local)"));
            assertThat(row(screen, node).get(1)).isEqualTo("up");
            tmux(socket, "send-keys", "-t", "top", "q");
            awaitPane(socket, s -> s.contains("top-exit=0"));
        } finally {
            new ProcessBuilder("tmux", "-L", socket, "kill-server").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String tmux(String socket, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", socket));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    private static String awaitPane(String socket, ScreenCheck check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String pane;
        do {
            pane = tmux(socket, "capture-pane", "-p", "-t", "top");
            if (check.test(pane)) {
                return pane;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the terminal never showed what was expected:\n" + pane);
    }

    /** Every line of the log an object with the layout's fields; the node going down among them, as a WARN. */
    private static void assertEveryLineIsAJsonEvent(Path log, String downNode) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            JsonNode event = json.readTree(line);
            assertThat(event.isObject()).as(line).isTrue();
            assertThat(event.path("timestamp").isNumber()).as(line).isTrue();
            assertThat(event.path("level").asText()).as(line).isIn("ERROR", "WARN", "INFO", "DEBUG", "TRACE");
            assertThat(event.path("loggerName").asText()).as(line).isNotEmpty();
            assertThat(event.has("formattedMessage")).as(line).isTrue();
            assertThat(event.has("throwable")).as(line).isTrue();
            events.add(event);
        }
        assertThat(events).anySatisfy(event -> {
            assertThat(event.path("level").asText()).isEqualTo("WARN");
            assertThat(event.path("formattedMessage").asText()).startsWith("node " + downNode + " of cluster dc2 is ");
        });
        assertThat(events).anySatisfy(event -> assertThat(event.path("formattedMessage").asText()).isEqualTo("stopped"));
    }
}
