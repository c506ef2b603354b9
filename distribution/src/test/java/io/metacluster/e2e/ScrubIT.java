package io.metacluster.e2e;

import com.codahale.metrics.Meter;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scrub ({@code verify: { scrub: { keys-per-second: N } }}) against real servers: divergence
 * injected behind the proxy's back into keys nobody reads (other values, other types, missing
 * keys, keys only on a remote cluster) is all found and repaired, and every cluster ends equal.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ScrubIT {
    private static final int KEYS = 5000;

    private static String listener(int port, String protocol, int keysPerSecond) {
        return """
                listeners:
                  - name: main
                    protocol: %s
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    verify: { strategy: sampled, rate: 0, repair: local-wins, recheck-delay-ms: 20,
                              scrub: { keys-per-second: %d } }
                """.formatted(protocol, port, keysPerSecond);
    }

    static long meter(Daemon daemon, String name) {
        Meter meter = daemon.engine.metrics().getMeters().get("listener.main.verify." + name);
        return meter == null ? 0 : meter.getCount();
    }

    /** Waits (at most {@code seconds}) until the scrub completed {@code passes} more passes. */
    static void awaitPasses(Daemon daemon, long passes, int seconds) throws InterruptedException {
        long target = meter(daemon, "scrub.passes") + passes;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (meter(daemon, "scrub.passes") < target) {
            assertThat(System.nanoTime()).as("scrub passes").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /**
     * Waits until the scrub repaired {@code repaired} keys in all, then for one more whole pass,
     * which must find nothing left: each injected divergence repaired once, none twice.
     */
    static void awaitRepaired(Daemon daemon, long repaired) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (meter(daemon, "scrub.repaired") < repaired) {
            assertThat(System.nanoTime()).as("scrub.repaired reaching " + repaired).isLessThan(deadline);
            Thread.sleep(50);
        }
        long divergent = meter(daemon, "scrub.divergent");
        awaitPasses(daemon, 2, 120);
        assertThat(meter(daemon, "scrub.repaired")).isEqualTo(repaired);
        assertThat(meter(daemon, "scrub.divergent")).as("found again").isEqualTo(divergent);
    }

    @Test
    void redisDivergenceInUnreadKeysIsAllFoundAndRepaired() throws Exception {
        int port = FreePorts.find();
        try (RedisBackends backends = RedisBackends.start(listener(port, "redis", 100_000))) {
            try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                Pipeline pipeline = client.pipelined();
                for (int i = 0; i < KEYS; i++) {
                    switch (i % 4) {
                        case 0 -> pipeline.set("s:" + i, "v" + i);
                        case 1 -> pipeline.hset("h:" + i, Map.of("a", "1", "b", "2"));
                        case 2 -> pipeline.sadd("set:" + i, "x", "y");
                        default -> pipeline.zadd("z:" + i, 1.5, "m");
                    }
                }
                pipeline.sync();
            }
            awaitPasses(backends.daemon, 1, 60);
            long before = meter(backends.daemon, "scrub.repaired");
            int injected = 0;
            try (Jedis dc2 = direct(backends.dc2); Jedis dc3 = direct(backends.dc3); Jedis dc1 = direct(backends.dc1)) {
                for (int i = 0; i < 400; i += 4) {
                    dc2.set("s:" + i, "changed");                   // another value
                    dc3.hset("h:" + (i + 1), "c", "extra");          // a field more
                    dc2.del("set:" + (i + 2));                       // missing on a remote
                    dc3.del("z:" + (i + 3));
                    dc3.set("z:" + (i + 3), "a string now");         // another type
                    dc3.set("only-remote:" + i, "x");                // a key only a remote holds
                    dc1.set("only-local:" + i, "y");                 // a key only the local holds
                    injected += 6;
                }
            }
            awaitRepaired(backends.daemon, before + injected);
            backends.assertIdenticalCopies();
            try (Jedis dc3 = direct(backends.dc3)) {
                assertThat(dc3.exists("only-remote:0")).as("local-wins: what the local lacks goes").isFalse();
                assertThat(dc3.get("only-local:0")).isEqualTo("y");
                assertThat(dc3.type("z:3")).isEqualTo("zset");
            }
            assertThat(meter(backends.daemon, "scrub.scanned")).isGreaterThanOrEqualTo(3L * KEYS);
        }
    }

    /**
     * The scrub's first look compares DUMPs, which differ for equal values held in another
     * encoding, or in a hashtable (ordered by each server's own hash seed): such keys must still
     * compare equal, by their contents.
     */
    @Test
    void equalValuesInOtherEncodingsAreNotDivergent() throws Exception {
        int port = FreePorts.find();
        try (RedisBackends backends = RedisBackends.start(listener(port, "redis", 100_000))) {
            try (Jedis dc2 = direct(backends.dc2)) {
                for (String setting : List.of("hash-max-listpack-entries", "set-max-intset-entries", "zset-max-listpack-entries")) {
                    dc2.configSet(setting, "0");
                }
            }
            Map<String, String> wide = new java.util.HashMap<>();
            for (int f = 0; f < 200; f++) {
                wide.put("field" + f, "v" + f);
            }
            try (Jedis client = new Jedis("127.0.0.1", port, 60_000)) {
                Pipeline pipeline = client.pipelined();
                for (int i = 0; i < 200; i++) {
                    pipeline.hset("h:" + i, Map.of("a", "1", "b", "2"));
                    pipeline.sadd("ints:" + i, "1", "2", "3");
                    pipeline.zadd("z:" + i, 1.5, "m");
                    if (i < 20) {
                        pipeline.hset("wide:" + i, wide); // a hashtable everywhere
                    }
                }
                pipeline.sync();
            }
            try (Jedis dc1 = direct(backends.dc1); Jedis dc2 = direct(backends.dc2)) {
                assertThat(dc1.objectEncoding("h:0")).isEqualTo("listpack");
                assertThat(dc2.objectEncoding("h:0")).isEqualTo("hashtable");
                assertThat(dc1.objectEncoding("ints:0")).isEqualTo("intset");
                assertThat(dc2.objectEncoding("ints:0")).isEqualTo("hashtable");
                assertThat(dc1.dump("wide:0")).as("the same hash, another order").isNotEqualTo(dc2.dump("wide:0"));
            }
            // passes begun while the clusters were still connecting walk nothing: wait for a whole one
            long scanned = meter(backends.daemon, "scrub.scanned");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (meter(backends.daemon, "scrub.scanned") - scanned < 2L * 3 * 620) {
                assertThat(System.nanoTime()).as("keys scanned").isLessThan(deadline);
                awaitPasses(backends.daemon, 1, 120);
            }
            assertThat(meter(backends.daemon, "scrub.divergent")).isZero();
            assertThat(meter(backends.daemon, "mismatch")).isZero();
        }
    }

    @Test
    void memcachedDivergenceInUnreadKeysIsAllFoundAndRepaired() throws Exception {
        MemcachedServer dc1 = MemcachedServer.start();
        MemcachedServer dc2 = MemcachedServer.start();
        MemcachedServer dc3 = MemcachedServer.start();
        int port = FreePorts.find();
        try (Daemon daemon = Daemon.start(listener(port, "memcached", 100_000) + """
                clusters:
                  - { name: dc1, local: true, nodes: [%s] }
                  - { name: dc2, nodes: [%s] }
                  - { name: dc3, nodes: [%s] }
                """.formatted(dc1.address(), dc2.address(), dc3.address()))) {
            StringBuilder sets = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                sets.append("set k:").append(i).append(' ').append(i % 7).append(" 0 2\r\nv").append(i % 10).append("\r\n");
            }
            sets.append("mn\r\n");
            try (Socket socket = MemcachedBackends.connect(port)) {
                socket.getOutputStream().write(sets.toString().getBytes(StandardCharsets.US_ASCII));
                assertThat(MemcachedBackends.readUntil(socket.getInputStream(), "MN\r\n")).doesNotContain("ERROR");
            }
            awaitPasses(daemon, 1, 60);
            long before = meter(daemon, "scrub.repaired");
            int injected = 0;
            for (int i = 0; i < 100; i += 2) {
                assertThat(dc2.set("k:" + i, "changed")).isTrue();
                assertThat(dc3.request("set k:" + (i + 1) + " 99 0 2\r\nv" + ((i + 1) % 10) + "\r\n", false))
                        .containsExactly("STORED"); // other flags
                assertThat(dc2.delete("k:" + (500 + i))).isTrue();
                assertThat(dc3.set("only-remote:" + i, "x")).isTrue();
                injected += 4;
            }
            awaitRepaired(daemon, before + injected);
            for (MemcachedServer server : List.of(dc2, dc3)) {
                for (int i = 0; i < 1000; i++) {
                    assertThat(server.request("mg k:" + i + " v f\r\n", false).get(0)).as("k:" + i)
                            .isEqualTo(dc1.request("mg k:" + i + " v f\r\n", false).get(0));
                }
                assertThat(server.get("only-remote:0")).isNull();
            }
            assertThat(dc2.get("k:0")).isEqualTo("v0");
            assertThat(dc2.get("k:500")).isEqualTo("v0");
        } finally {
            dc1.close();
            dc2.close();
            dc3.close();
        }
    }

    /**
     * A whole pass over {@code -Dscrub.keys} identical keys on each of three redis-servers
     * (default 20,000), the scrub unthrottled, ends and finds nothing to repair; prints its
     * duration. Not the place to time the scrub: the ITs run with Netty's paranoid leak detection,
     * which records a stack trace at every buffer access and made a pass several times slower
     * than on the daemon. {@code bench/scrub.sh} times the real daemon (the README's figures).
     */
    @Test
    @Timeout(value = 3600, unit = TimeUnit.SECONDS)
    void aPassOverManyKeysIsTimed() throws Exception {
        int keys = Integer.getInteger("scrub.keys", 20_000);
        RedisServer dc1 = RedisServer.start("--enable-debug-command", "yes");
        RedisServer dc2 = RedisServer.start("--enable-debug-command", "yes");
        RedisServer dc3 = RedisServer.start("--enable-debug-command", "yes");
        try {
            for (RedisServer server : List.of(dc1, dc2, dc3)) {
                try (Jedis direct = new Jedis("127.0.0.1", server.port(), 600_000)) {
                    direct.sendCommand((redis.clients.jedis.commands.ProtocolCommand) () -> "DEBUG".getBytes(StandardCharsets.US_ASCII), "POPULATE", Integer.toString(keys), "key", "16");
                    assertThat(direct.dbSize()).isEqualTo(keys);
                }
            }
            int port = FreePorts.find();
            try (Daemon daemon = Daemon.start(listener(port, "redis", 10_000_000) + """
                    clusters:
                      - { name: dc1, local: true, nodes: [%s] }
                      - { name: dc2, nodes: [%s] }
                      - { name: dc3, nodes: [%s] }
                    """.formatted(dc1.address(), dc2.address(), dc3.address()))) {
                daemon.awaitHealthy();
                // the first pass may start before every connection is up and walk nothing: the
                // longest of the first two is a whole pass
                awaitPasses(daemon, 2, 3600);
                double seconds = daemon.engine.metrics().getTimers().get("listener.main.verify.scrub.pass-duration")
                        .getSnapshot().getMax() / 1e9;
                System.out.printf("scrub pass over %,d keys on each of 3 clusters (%,d keys looked at): %.1f s, %,.0f keys/s%n",
                        keys, 3L * keys, seconds, 3L * keys / seconds);
                assertThat(meter(daemon, "scrub.divergent")).isZero();
            }
        } finally {
            dc1.close();
            dc2.close();
            dc3.close();
        }
    }
}
