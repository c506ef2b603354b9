package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.PrometheusText;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replay files damaged between two runs of the daemon (bin/metacluster of the install tree, a
 * real redis-server as the node): the daemon starts, names the file in one log line, keeps it
 * aside as {@code .damaged}, replays every good record before the damage to the node, counts the
 * bytes it lost in {@code replay-damaged-bytes}, and serves.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DamagedReplayIT {
    private static final int WRITES = 20;
    /** The record the damage is put in, when it is in the middle. */
    private static final int DAMAGED = 10;
    /** The first bytes of a replay file of the current format ({@code ReplayStore.MAGIC}). */
    private static final int MAGIC = "MCREPLAY3\n".length();
    /** Length, checksum and flags before each record's frame. */
    private static final int HEADER = 9;

    @TempDir
    static Path dir;
    static RedisServer dc2;
    /** The replay file a daemon wrote for dc2 while dc2 was down: {@code SET k<i> v<i>} for i below {@link #WRITES}. */
    static byte[] intact;
    static String fileName;
    /** Where each record starts in {@link #intact}. */
    static final List<Integer> records = new ArrayList<>();

    @BeforeAll
    static void aReplayFileWrittenByTheDaemonWhileTheNodeWasDown() throws Exception {
        dc2 = RedisServer.start();
        dc2.stop();
        Path replay = dir.resolve("first");
        Process daemon = start(replay, "first");
        try (Jedis client = new Jedis("127.0.0.1", port, 30_000)) {
            for (int i = 0; i < WRITES; i++) {
                try {
                    client.set("k" + i, "v" + i);
                } catch (JedisDataException expected) {
                    // dc2, the listener's only cluster, is down: refused, and kept for it
                }
            }
        }
        stop(daemon, "first");
        try (Stream<Path> files = Files.list(replay)) {
            Path file = files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
            fileName = file.getFileName().toString();
            intact = Files.readAllBytes(file);
        }
        for (int at = MAGIC; at < intact.length; at += HEADER + ByteBuffer.wrap(intact).getInt(at)) {
            records.add(at);
        }
        assertThat(records).as("one record per write").hasSize(WRITES);
        dc2.restart();
    }

    @AfterAll
    static void stopNode() {
        dc2.close();
    }

    @BeforeEach
    void emptyNode() {
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port(), 30_000)) {
            direct.flushAll();
        }
    }

    static int port;
    static int adminPort;

    private static Process start(Path replay, String run) throws Exception {
        int[] ports = FreePorts.find(2);
        port = ports[0];
        adminPort = ports[1];
        Path config = dir.resolve(run + ".yaml");
        Files.writeString(config, """
                backend: { reconnect-min-ms: 50, reconnect-max-ms: 200 }
                replay: { dir: %s }
                admin: { bind: 127.0.0.1:%d }
                listeners:
                  - { name: main, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc2] }
                clusters:
                  - { name: dc2, nodes: [%s] }
                """.formatted(replay, adminPort, port, dc2.address()));
        Process daemon = new ProcessBuilder(Daemon.home().resolve("bin/metacluster").toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(run + ".out").toFile()).start();
        DaemonProcessIT.awaitPort(port, daemon);
        DaemonProcessIT.awaitPort(adminPort, daemon);
        return daemon;
    }

    /** SIGTERM: the daemon must stop cleanly; its output. */
    private static String stop(Process daemon, String run) throws Exception {
        daemon.destroy();
        assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = Files.readString(dir.resolve(run + ".out"));
        assertThat(daemon.exitValue()).as(output).isZero();
        return output;
    }

    /**
     * A run of the daemon that finds {@code damaged} as dc2's replay file: it replays the first
     * {@code good} writes to dc2, and only those, and reports {@code lost} bytes.
     */
    private void startsAndReplaysTheGoodRecords(String run, byte[] damaged, int good, long lost) throws Exception {
        Path replay = Files.createDirectories(dir.resolve(run));
        Path file = replay.resolve(fileName);
        Files.write(file, damaged);
        Process daemon = start(replay, run);
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port(), 30_000); Jedis client = new Jedis("127.0.0.1", port, 30_000)) {
            awaitCaughtUp();
            for (int i = 0; i < WRITES; i++) {
                assertThat(direct.get("k" + i)).as("k" + i).isEqualTo(i < good ? "v" + i : null);
            }
            assertThat(damagedBytes()).isEqualTo(lost);
            assertThat(client.set("after", "start")).as("the daemon serves").isEqualTo("OK");
            assertThat(direct.get("after")).isEqualTo("start");
            String output = stop(daemon, run);
            List<String> lines = output.lines().filter(line -> line.contains("damaged")).toList();
            assertThat(lines).as(output).hasSize(1);
            assertThat(lines.get(0)).contains("replay file " + file + " is damaged", "kept the " + good + " good records",
                    lost + " bytes after it are lost", file + ".damaged");
        } finally {
            daemon.destroyForcibly();
        }
        assertThat(Files.readAllBytes(replay.resolve(fileName + ".damaged"))).as("the whole file, kept aside").isEqualTo(damaged);
    }

    /** Waits until dc2's replay log is empty (replayed) and dc2 serves reads. */
    private static void awaitCaughtUp() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            PrometheusText metrics = metrics();
            Double pending = metrics.samples.get(nodeMetric("replay_pending"));
            Double healthy = metrics.samples.get("metacluster_cluster_dc2_healthy");
            if (pending != null && pending == 0 && healthy != null && healthy == 1) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("dc2 did not catch up: " + metrics().samples);
    }

    private static long damagedBytes() throws Exception {
        return metrics().samples.get(nodeMetric("replay_damaged_bytes")).longValue();
    }

    private static String nodeMetric(String name) {
        return "metacluster_cluster_dc2_node_127_0_0_1_" + dc2.port() + "_" + name;
    }

    private static PrometheusText metrics() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return PrometheusText.parse(response.body());
    }

    @Test
    void noiseAppended() throws Exception {
        byte[] noise = new byte[4096];
        new Random(12).nextBytes(noise);
        byte[] damaged = Arrays.copyOf(intact, intact.length + noise.length);
        System.arraycopy(noise, 0, damaged, intact.length, noise.length);
        startsAndReplaysTheGoodRecords("noise", damaged, WRITES, noise.length);
    }

    @Test
    void aHugeLengthInTheMiddle() throws Exception {
        byte[] damaged = intact.clone();
        ByteBuffer.wrap(damaged).putInt(records.get(DAMAGED), 256 << 20);
        startsAndReplaysTheGoodRecords("huge", damaged, DAMAGED, intact.length - records.get(DAMAGED));
    }

    @Test
    void aNegativeLengthInTheMiddle() throws Exception {
        byte[] damaged = intact.clone();
        ByteBuffer.wrap(damaged).putInt(records.get(DAMAGED), -5);
        startsAndReplaysTheGoodRecords("negative", damaged, DAMAGED, intact.length - records.get(DAMAGED));
    }

    @Test
    void aZeroFilledFile() throws Exception {
        startsAndReplaysTheGoodRecords("zeros", new byte[438_888], 0, 438_888);
    }

    @Test
    void aFlippedByteInAValue() throws Exception {
        byte[] damaged = intact.clone();
        int record = records.get(DAMAGED);
        String frame = new String(damaged, record + HEADER, records.get(DAMAGED + 1) - record - HEADER, StandardCharsets.US_ASCII);
        int value = record + HEADER + frame.indexOf("v" + DAMAGED);
        damaged[value + 1] ^= 0x01; // "v10" becomes "v00": a write that reads back fine, but is not the one recorded
        startsAndReplaysTheGoodRecords("flipped", damaged, DAMAGED, intact.length - record);
    }
}
