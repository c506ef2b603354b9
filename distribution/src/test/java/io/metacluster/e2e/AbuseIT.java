package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon as shipped (bin/metacluster, its own process, 512 MiB heap) against real
 * redis-servers, under abuse: clients that never read, a node that hangs while the daemon dies.
 * Each test prints its figures.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AbuseIT {
    @TempDir
    Path dir;

    private Process daemon(String name, String yaml, int port) throws Exception {
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, yaml);
        Process process = new ProcessBuilder(Daemon.home().resolve("bin/metacluster").toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        DaemonProcessIT.awaitPort(port, process);
        return process;
    }

    private String log(String name) throws Exception {
        return Files.readString(dir.resolve(name + ".log"));
    }

    /**
     * 8 clients with a 4 KiB receive buffer pipeline 2,000 GETs of a 1 MiB value each and never
     * read; meanwhile another client's SET and GET never fail nor take a second.
     */
    @Test
    void clientsThatNeverReadDoNotStallTheOthers() throws Exception {
        try (RedisServer dc1 = RedisServer.start(); RedisServer dc2 = RedisServer.start(); RedisServer dc3 = RedisServer.start()) {
            int port = FreePorts.find();
            Process daemon = daemon("slow-readers", """
                    io-threads: 2
                    listeners:
                      - { name: main, protocol: redis, bind: "127.0.0.1:%d", clusters: [dc1, dc2, dc3] }
                    clusters:
                      - { name: dc1, local: true, nodes: ["%s"] }
                      - { name: dc2, nodes: ["%s"] }
                      - { name: dc3, nodes: ["%s"] }
                    """.formatted(port, dc1.address(), dc2.address(), dc3.address()), port);
            List<Socket> abusers = new ArrayList<>();
            try (Jedis probe = new Jedis("127.0.0.1", port, 10_000)) {
                char[] mebibyte = new char[1 << 20];
                Arrays.fill(mebibyte, 'x');
                assertThat(probe.set("big", new String(mebibyte))).isEqualTo("OK");
                byte[] burst = RedisProxyIT.resp("GET", "big").repeat(2000).getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 8; i++) {
                    Socket abuser = new Socket();
                    abuser.setReceiveBufferSize(4096);
                    abuser.connect(new InetSocketAddress("127.0.0.1", port));
                    abusers.add(abuser);
                    Thread writer = new Thread(() -> {
                        try {
                            OutputStream out = abuser.getOutputStream();
                            out.write(burst);
                            out.flush();
                        } catch (Exception closedByTheDaemon) {
                            // expected for some: they are disconnected
                        }
                    });
                    writer.setDaemon(true);
                    writer.start();
                }

                long[] latencies = new long[2_000_000];
                long testStart = System.nanoTime();
                long slowestAt = 0;
                long slowest = 0;
                int ops = 0;
                List<String> errors = new ArrayList<>();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < end && ops < latencies.length - 1) {
                    for (String op : List.of("SET", "GET")) {
                        long start = System.nanoTime();
                        try {
                            if (op.equals("SET")) {
                                assertThat(probe.set("probe", "v" + ops)).isEqualTo("OK");
                            } else {
                                assertThat(probe.get("probe")).isEqualTo("v" + (ops - 1));
                            }
                        } catch (Exception | AssertionError e) {
                            errors.add(op + ": " + e.getMessage());
                        }
                        latencies[ops] = System.nanoTime() - start;
                        if (latencies[ops] > slowest) {
                            slowest = latencies[ops];
                            slowestAt = (start - testStart) / 1_000_000;
                        }
                        ops++;
                    }
                }
                long[] taken = Arrays.copyOf(latencies, ops);
                Arrays.sort(taken);
                String daemonLog = log("slow-readers");
                long disconnected = daemonLog.lines().filter(line -> line.contains("disconnecting client")).count();
                daemonLog.lines().filter(line -> line.contains("WARN") || line.contains("ERROR") || line.contains("disconnecting"))
                        .limit(30).forEach(System.out::println);
                System.out.println("slowest probe request started " + slowestAt + " ms into the test");
                long rssKb = rssKb(daemon.pid());
                System.out.printf("slow readers: probe ops %d, errors %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms;"
                                + " abusers disconnected %d; daemon RSS %d MB%n", ops, errors.size(), taken[ops / 2] / 1e6,
                        taken[(int) (ops * 0.99)] / 1e6, taken[ops - 1] / 1e6, disconnected, rssKb / 1024);
                assertThat(errors).isEmpty();
                assertThat(taken[ops - 1]).as("the slowest probe request, ns").isLessThan(TimeUnit.SECONDS.toNanos(1));
                assertThat(daemonLog).as("no node is taken for down or hung for a client's slowness")
                        .doesNotContain("no reply within", "looks hung", "is down");
                assertThat(daemon.isAlive()).isTrue();
            } finally {
                for (Socket abuser : abusers) {
                    abuser.close();
                }
                daemon.destroy();
                daemon.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /**
     * A node hangs (SIGSTOP) while a client writes; some seconds later the daemon is killed
     * (SIGKILL). Restarted, it replays to the node every write it acknowledged: those in flight to
     * the hung node were recorded when it was suspected, suspect-after-ms (1 s) after they were sent.
     */
    @Test
    void writesInFlightToAHungNodeSurviveADaemonCrash() throws Exception {
        try (RedisServer dc1 = RedisServer.start(); RedisServer dc2 = RedisServer.start()) {
            int port = FreePorts.find();
            String yaml = """
                    replay: { dir: "%s" }
                    listeners:
                      - { name: main, protocol: redis, bind: "127.0.0.1:%d", clusters: [dc1, dc2] }
                    clusters:
                      - { name: dc1, local: true, nodes: ["%s"] }
                      - { name: dc2, nodes: ["%s"] }
                    """.formatted(dir.resolve("replay"), port, dc1.address(), dc2.address());
            Process daemon = daemon("before-crash", yaml, port);
            List<Long> ackedAt = new ArrayList<>();
            long frozenAt;
            long killedAt;
            try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                long start = System.nanoTime();
                frozenAt = start + TimeUnit.MILLISECONDS.toNanos(1000);
                killedAt = frozenAt + TimeUnit.MILLISECONDS.toNanos(3000);
                boolean frozen = false;
                while (System.nanoTime() < killedAt) {
                    if (!frozen && System.nanoTime() >= frozenAt) {
                        dc2.freeze();
                        frozen = true;
                    }
                    assertThat(client.set("k" + ackedAt.size(), "v")).isEqualTo("OK");
                    ackedAt.add(System.nanoTime());
                }
                daemon.destroyForcibly(); // SIGKILL
                assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                dc2.thaw();
                daemon.destroyForcibly();
            }
            long acknowledgedWhileFrozen = ackedAt.stream().filter(at -> at >= frozenAt).count();
            String before = log("before-crash");

            Process restarted = daemon("after-crash", yaml, port);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                long held = 0;
                while (System.nanoTime() < deadline) {
                    held = ((Number) dc2.call("DBSIZE")).longValue();
                    if (held >= ackedAt.size() || log("after-crash").contains("caught up")) {
                        break;
                    }
                    Thread.sleep(100);
                }
                Thread.sleep(200);
                held = ((Number) dc2.call("DBSIZE")).longValue();
                List<Integer> lost = new ArrayList<>();
                try (Jedis direct = RedisBackends.direct(dc2)) {
                    for (int i = 0; i < ackedAt.size(); i++) {
                        if (direct.get("k" + i) == null) {
                            lost.add(i);
                        }
                    }
                }
                long newestLostMsBeforeKill = lost.isEmpty() ? 0
                        : (killedAt - ackedAt.get(lost.get(lost.size() - 1))) / 1_000_000;
                long oldestLostMsBeforeKill = lost.isEmpty() ? 0 : (killedAt - ackedAt.get(lost.get(0))) / 1_000_000;
                System.out.printf("hung node then daemon crash: %d writes acknowledged, %d of them while dc2 was frozen"
                                + " (3 s, then SIGKILL); dc2 holds %d after the restart's replay; lost %d"
                                + " (acknowledged %d to %d ms before the kill)%n", ackedAt.size(), acknowledgedWhileFrozen,
                        held, lost.size(), oldestLostMsBeforeKill, newestLostMsBeforeKill);
                assertThat(before).contains("looks hung");
                assertThat(lost).as("acknowledged writes dc2 never got").isEmpty();
            } finally {
                restarted.destroy();
                restarted.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** A frozen node's connections look alive; its replay starts only once it answered a probe, after the thaw. */
    @Test
    void replayWaitsUntilTheNodeAnswers() throws Exception {
        try (RedisServer dc1 = RedisServer.start(); RedisServer dc2 = RedisServer.start()) {
            int port = FreePorts.find();
            Process daemon = daemon("frozen", """
                    io-threads: 2
                    listeners:
                      - { name: main, protocol: redis, bind: "127.0.0.1:%d", clusters: [dc1, dc2] }
                    clusters:
                      - { name: dc1, local: true, nodes: ["%s"] }
                      - { name: dc2, nodes: ["%s"] }
                    """.formatted(port, dc1.address(), dc2.address()), port);
            try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                dc2.freeze();
                try {
                    for (int i = 0; i < 100; i++) {
                        assertThat(client.set("f" + i, "v")).isEqualTo("OK");
                    }
                    Thread.sleep(7000); // past suspect-after-ms, request-timeout-ms and a few probes
                    assertThat(log("frozen")).contains("looks hung").doesNotContain("replaying");
                } finally {
                    dc2.thaw();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!log("frozen").contains("caught up") && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(log("frozen")).contains("is reachable; replaying", "caught up");
                try (Jedis direct = RedisBackends.direct(dc2)) {
                    assertThat(direct.dbSize()).isEqualTo(100);
                }
            } finally {
                daemon.destroy();
                daemon.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
