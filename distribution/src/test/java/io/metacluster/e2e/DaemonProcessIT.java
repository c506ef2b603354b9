package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The daemon as an operator runs it: bin/metacluster of the install tree, as its own process. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonProcessIT {
    @TempDir
    Path dir;

    static ProcessBuilder metacluster(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = Daemon.home().resolve("bin/metacluster").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    /** Runs {@code builder}'s process; its output, once it exited with {@code expectedExit}. */
    static String run(ProcessBuilder builder, int expectedExit) throws Exception {
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(expectedExit);
        return output;
    }

    @Test
    void helpAndVersion() throws Exception {
        assertThat(run(metacluster("--help"), 0)).contains("--config", "--plugins", "--check");
        assertThat(run(metacluster("--version"), 0)).startsWith("metacluster");
        assertThat(run(metacluster("--no-such-option"), 2)).contains("Unknown option");
    }

    /** One listener in front of one cluster, not a local one; nothing listens on these ports. */
    static final String ONE_REMOTE_CLUSTER = """
            listeners:
              - name: main
                protocol: redis
                bind: 127.0.0.1:6999
                clusters: [dc1]
            clusters:
              - name: dc1
                nodes: [127.0.0.1:7999]
            """;

    @Test
    void aBadConfigIsRefusedWithFileLineAndFieldAndExitCode2() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, ONE_REMOTE_CLUSTER.replace("clusters: [dc1]", "clusters: [nowhere]"));
        assertThat(run(metacluster("--config", config.toString(), "--check"), 2))
                .contains(config + ":5: listeners[0].clusters[0]: no cluster is named 'nowhere'");
    }

    @Test
    void aStrategysOwnValidationRefusesTheConfigInCheckAndAtStart() throws Exception {
        Path config = dir.resolve("no-local.yaml");
        Files.writeString(config, ONE_REMOTE_CLUSTER.replace("clusters: [dc1]", "clusters: [dc1]\n    write: { policy: local }"));
        String refusal = config + ":6: listeners[0].write.policy: write policy 'local' needs a cluster marked local: true";
        assertThat(run(metacluster("--config", config.toString(), "--check"), 2)).contains(refusal);
        assertThat(run(metacluster("--config", config.toString()), 2)).contains(refusal);
    }

    @Test
    void theShippedExampleConfigIsValid() throws Exception {
        assertThat(run(metacluster("--check"), 0)).contains("config OK");
    }

    @Test
    void sigtermDrainsWritesTheReplayLogAndExitsZero() throws Exception {
        try (RedisServer dc1 = RedisServer.start(); RedisServer dc2 = RedisServer.start()) {
            int port = FreePorts.find();
            Path replay = dir.resolve("replay");
            Path config = dir.resolve("metacluster.yaml");
            Files.writeString(config, """
                    replay: { dir: %s }
                    listeners:
                      - name: main
                        protocol: redis
                        bind: 127.0.0.1:%d
                        clusters: [dc1, dc2]
                    clusters:
                      - { name: dc1, local: true, nodes: [%s] }
                      - { name: dc2, nodes: [%s] }
                    """.formatted(replay, port, dc1.address(), dc2.address()));
            dc2.stop();
            Process daemon = metacluster("--config", config.toString()).redirectOutput(dir.resolve("out.log").toFile()).start();
            try {
                awaitPort(port, daemon);
                try (Socket client = new Socket("127.0.0.1", port)) {
                    client.setSoTimeout(10_000);
                    OutputStream out = client.getOutputStream();
                    StringBuilder burst = new StringBuilder();
                    for (int i = 0; i < 1000; i++) {
                        burst.append(RedisProxyIT.resp("SET", "k" + i, "v" + i));
                    }
                    out.write(burst.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    InputStream in = client.getInputStream();
                    assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
                    daemon.destroy(); // SIGTERM
                    String rest = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                    assertThat(rest.replace("+OK\r\n", "")).as("every answered request got a whole reply").isEmpty();
                }
                assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(daemon.exitValue()).as(Files.readString(dir.resolve("out.log"))).isZero();
                assertThat(Files.readString(dir.resolve("out.log"))).contains("stopped");
                try (var files = Files.list(replay)) {
                    Path log = files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
                    assertThat(Files.size(log)).as("the writes dc2 missed are on disk").isPositive();
                }
            } finally {
                daemon.destroyForcibly();
            }
        }
    }

    static void awaitPort(int port, Process daemon) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            assertThat(daemon.isAlive()).as("daemon exited early").isTrue();
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("daemon did not open port " + port);
    }
}
