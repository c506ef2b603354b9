package io.metacluster.e2e;

import com.codahale.metrics.Meter;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read verification ({@code verify: { strategy: sampled }}) against three real redis-servers:
 * divergence made directly on a backend, found through reads with {@code rate: 1}, and repaired
 * by each policy; no false alarms under concurrent writes; the budget drops what it must.
 * One daemon, one listener per policy (dc1 is local, so it serves every read).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class VerifyRedisIT {
    static RedisBackends backends;
    static RedisServer dc1;
    static RedisServer dc2;
    static RedisServer dc3;
    static Daemon daemon;
    static final Map<String, Integer> ports = new java.util.HashMap<>();
    static final List<String> LISTENERS = List.of("none", "invalidate", "localwins", "majority", "busy", "budget", "plain");

    @BeforeAll
    static void start() throws Exception {
        StringBuilder listeners = new StringBuilder();
        for (String name : LISTENERS) {
            int port = FreePorts.find();
            ports.put(name, port);
            String clusters = name.equals("localwins") ? "[dc1, dc2]" : "[dc1, dc2, dc3]";
            String verify = switch (name) {
                case "none" -> "{ strategy: sampled, rate: 1, repair: none, recheck-delay-ms: 20 }";
                case "invalidate" -> "{ strategy: sampled, rate: 1, repair: invalidate, recheck-delay-ms: 20 }";
                case "localwins" -> "{ strategy: sampled, rate: 1, repair: local-wins, recheck-delay-ms: 20 }";
                case "majority" -> "{ strategy: sampled, rate: 1, repair: majority, recheck-delay-ms: 20 }";
                case "busy" -> "{ strategy: sampled, rate: 1, repair: none, max-per-second: 1000000, max-in-flight: 100000 }";
                case "budget" -> "{ strategy: sampled, rate: 1, max-per-second: 1, repair: none }";
                default -> "{ strategy: sampled, rate: 0 }";
            };
            listeners.append("""
                      - name: %s
                        protocol: redis
                        bind: 127.0.0.1:%d
                        clusters: %s
                        verify: %s
                    """.formatted(name, port, clusters, verify));
        }
        backends = RedisBackends.start("listeners:\n" + listeners);
        dc1 = backends.dc1;
        dc2 = backends.dc2;
        dc3 = backends.dc3;
        daemon = backends.daemon;
    }

    @AfterAll
    static void stop() {
        if (backends != null) {
            backends.close();
        }
    }

    @BeforeEach
    void emptyClusters() {
        backends.empty();
    }

    static Jedis proxy(String listener) {
        return new Jedis("127.0.0.1", ports.get(listener), 10_000);
    }

    static long count(String listener, String metric) {
        Meter meter = daemon.engine.metrics().getMeters().get("listener." + listener + ".verify." + metric);
        return meter == null ? 0 : meter.getCount();
    }

    /** On each backend in turn, as the test's hands: no proxy involved. */
    static void onEach(Consumer<Jedis> change, RedisServer... servers) {
        for (RedisServer server : servers) {
            try (Jedis direct = direct(server)) {
                change.accept(direct);
            }
        }
    }

    /** Reads through {@code listener} until {@code metric} grew by {@code by} (verification is in the background). */
    static void readUntil(String listener, String metric, long by, Consumer<Jedis> read) throws InterruptedException {
        long before = count(listener, metric);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Jedis client = proxy(listener)) {
            while (count(listener, metric) < before + by) {
                assertThat(System.nanoTime()).as("%s.%s did not grow by %d", listener, metric, by).isLessThan(deadline);
                read.accept(client);
                Thread.sleep(30);
            }
        }
    }

    /** Waits until the listener's checks are all over (started = ended one way or another). */
    static void settle(String listener) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long ended = count(listener, "match") + count(listener, "mismatch") + count(listener, "dropped");
            for (String skip : List.of("not-comparable", "no-cluster", "writes-in-flight", "error-reply", "no-reply", "shutdown")) {
                ended += count(listener, "skipped." + skip);
            }
            long repairsDone = count(listener, "repaired") + count(listener, "repair-failed");
            boolean repairsOver = listener.equals("none") || listener.equals("busy") || listener.equals("budget")
                    || repairsDone >= count(listener, "mismatch");
            if (ended == count(listener, "sampled") && repairsOver) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("verification of listener " + listener + " did not settle");
    }

    @Test
    void aDivergenceIsDetectedCountedAndLeftAloneWithRepairNone() throws Exception {
        onEach(j -> j.set("k:none", "v"), dc1, dc3);
        onEach(j -> j.set("k:none", "other"), dc2);
        readUntil("none", "mismatch", 1, client -> assertThat(client.get("k:none")).isEqualTo("v"));
        settle("none");
        assertThat(direct(dc1).get("k:none")).isEqualTo("v");
        assertThat(direct(dc2).get("k:none")).isEqualTo("other");
        assertThat(direct(dc3).get("k:none")).isEqualTo("v");
        assertThat(count("none", "repaired")).isZero();
    }

    @Test
    void agreeingClustersMatchAndNeverComparableReadsAreSkipped() throws Exception {
        onEach(j -> {
            j.set("k:same", "v");
            j.sadd("s:same", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
            j.hset("h:same", Map.of("f1", "1", "f2", "2", "f3", "3"));
        }, dc1, dc2, dc3);
        // the same set built in another order on dc2: SMEMBERS order differs, the set does not
        onEach(j -> {
            j.del("s:same");
            for (String m : List.of("j", "i", "h", "g", "f", "e", "d", "c", "b", "a")) {
                j.sadd("s:same", m);
            }
        }, dc2);
        long mismatches = count("none", "mismatch");
        readUntil("none", "match", 30, client -> {
            client.get("k:same");
            client.smembers("s:same");
            client.hgetAll("h:same");
        });
        long skipped = count("none", "skipped.not-comparable");
        try (Jedis client = proxy("none")) {
            client.ttl("k:same");
            client.srandmember("s:same");
            client.dbSize();
        }
        settle("none");
        assertThat(count("none", "skipped.not-comparable")).isEqualTo(skipped + 3);
        assertThat(count("none", "mismatch")).isEqualTo(mismatches);
    }

    @Test
    void invalidateDeletesTheKeyOnEveryCluster() throws Exception {
        onEach(j -> j.set("k:inv", "v"), dc1, dc2);
        onEach(j -> j.set("k:inv", "stale"), dc3);
        readUntil("invalidate", "repaired", 1, client -> client.get("k:inv"));
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            assertThat(direct(server).exists("k:inv")).isFalse();
        }
    }

    @Test
    void localWinsCopiesTypeValueAndTtlOfTheServingCluster() throws Exception {
        onEach(j -> {
            j.hset("lw:hash", Map.of("a", "1", "b", "2", "c", "3"));
            j.pexpire("lw:hash", 60_000);
            j.rpush("lw:list", "x", "y", "z", "x");
            j.pexpire("lw:list", 50_000);
            j.sadd("lw:set", "m1", "m2", "m3");
            j.zadd("lw:zset", Map.of("one", 1.0, "two", 2.0, "three", 3.5));
            j.pexpire("lw:zset", 40_000);
            j.set("lw:string", "kept");
        }, dc1);
        onEach(j -> {
            j.hset("lw:hash", Map.of("a", "1", "b", "stale"));
            j.rpush("lw:list", "x");
            j.sadd("lw:set", "m1", "old");
            j.expire("lw:set", 5);
            j.zadd("lw:zset", Map.of("one", 1.0, "two", 20.0, "three", 3.5));
            j.set("lw:string", "stale");
        }, dc2);
        // one key at a time, so that a key repaired twice cannot stand in for one not repaired
        readUntil("localwins", "repaired", 1, client -> client.hgetAll("lw:hash"));
        readUntil("localwins", "repaired", 1, client -> client.lrange("lw:list", 0, -1));
        readUntil("localwins", "repaired", 1, client -> client.smembers("lw:set"));
        readUntil("localwins", "repaired", 1, client -> client.zrangeWithScores("lw:zset", 0, -1));
        readUntil("localwins", "repaired", 1, client -> client.get("lw:string"));
        settle("localwins");
        try (Jedis a = direct(dc1); Jedis b = direct(dc2)) {
            for (String key : List.of("lw:hash", "lw:list", "lw:set", "lw:zset", "lw:string")) {
                assertThat(b.type(key)).as(key).isEqualTo(a.type(key));
                long ttlA = a.pttl(key);
                long ttlB = b.pttl(key);
                if (ttlA < 0) {
                    assertThat(ttlB).as("ttl of " + key).isEqualTo(ttlA);
                } else {
                    // B's copy got what A had left when it was captured: the same expiry, give or take the repair's time
                    assertThat(ttlB).as("ttl of " + key).isBetween(ttlA - 2_000, ttlA + 2_000);
                }
            }
            assertThat(b.hgetAll("lw:hash")).isEqualTo(Map.of("a", "1", "b", "2", "c", "3"));
            assertThat(b.lrange("lw:list", 0, -1)).containsExactly("x", "y", "z", "x");
            assertThat(b.smembers("lw:set")).containsExactlyInAnyOrder("m1", "m2", "m3");
            assertThat(b.zrangeWithScores("lw:zset", 0, -1)).containsExactly(
                    new Tuple("one", 1.0), new Tuple("two", 2.0), new Tuple("three", 3.5));
            assertThat(b.get("lw:string")).isEqualTo("kept");
            assertThat(a.hgetAll("lw:hash")).isEqualTo(Map.of("a", "1", "b", "2", "c", "3"));
        }
        assertThat(direct(dc3).exists("lw:hash", "lw:list", "lw:set", "lw:zset", "lw:string")).isZero();
    }

    /** A key of another type on a remote cluster answers WRONGTYPE there: a divergence, repaired like any other. */
    @Test
    void aKeyOfAnotherTypeOnARemoteClusterIsFoundAndRepaired() throws Exception {
        onEach(j -> j.set("ty:k", "v"), dc1, dc3);
        onEach(j -> j.hset("ty:k", "f", "other"), dc2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            readUntil("localwins", "repaired", 1, client -> client.get("ty:k"));
            try (Jedis direct = direct(dc2)) {
                if (direct.type("ty:k").equals("string")) {
                    assertThat(direct.get("ty:k")).isEqualTo("v");
                    break;
                }
            }
            assertThat(System.nanoTime()).as("dc2 was not repaired").isLessThan(deadline);
        }
        assertThat(count("localwins", "mismatch")).isPositive();
        settle("localwins");
    }

    @Test
    void majorityCopiesWhatMostClustersHoldOverTheServingOne() throws Exception {
        onEach(j -> {
            j.set("mj:k", "right");
            j.expire("mj:k", 100);
        }, dc2, dc3);
        onEach(j -> j.set("mj:k", "wrong"), dc1);
        readUntil("majority", "repaired", 1, client -> client.get("mj:k"));
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("mj:k")).isEqualTo("right");
                assertThat(direct.ttl("mj:k")).isBetween(90L, 100L);
            }
        }
    }

    @Test
    void majorityWithoutAMajorityInvalidates() throws Exception {
        onEach(j -> j.set("mj:none", "a"), dc1);
        onEach(j -> j.set("mj:none", "b"), dc2);
        onEach(j -> j.set("mj:none", "c"), dc3);
        readUntil("majority", "repaired", 1, client -> client.get("mj:none"));
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            assertThat(direct(server).exists("mj:none")).isFalse();
        }
    }

    @Test
    void concurrentWritesAndReadsOfTheSameKeysRaiseNoFalseAlarm() throws Exception {
        long mismatches = count("busy", "mismatch");
        long matches = count("busy", "match");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000);
        List<Future<?>> done = new ArrayList<>();
        // Each key has one writer: two clients writing one key at once may reach the clusters in
        // different orders (only one client's writes are ordered), a real divergence that the
        // verifier rightly reports. Readers read every key while its writer writes it.
        for (int t = 0; t < 8; t++) {
            boolean writer = t % 2 == 0;
            int writerIndex = t / 2;
            done.add(pool.submit(() -> {
                try (Jedis client = proxy("busy")) {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (System.nanoTime() < until) {
                        String key = "busy:" + (writer ? writerIndex + 4 * random.nextInt(2) : random.nextInt(8));
                        if (writer) {
                            switch (random.nextInt(3)) {
                                case 0 -> client.set(key, Long.toString(random.nextLong()));
                                case 1 -> client.append(key, "x");
                                default -> client.del(key);
                            }
                        } else {
                            client.get(key);
                            client.mget(key, "busy:" + random.nextInt(8));
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get();
        }
        pool.shutdown();
        settle("busy");
        assertThat(count("busy", "match") - matches).isGreaterThan(100);
        assertThat(count("busy", "mismatch")).isEqualTo(mismatches);
    }

    @Test
    void pastTheBudgetSamplesAreDroppedAndClientsDoNotWait() throws Exception {
        onEach(j -> j.set("b:k", "v"), dc1, dc2, dc3);
        int reads = 1000;
        long dropped = count("budget", "dropped");
        // rounds interleaved and the best of each kept: the machine may be busy with other work
        long plain = Long.MAX_VALUE;
        long budget = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            plain = Math.min(plain, timeReads("plain", reads));
            budget = Math.min(budget, timeReads("budget", reads));
        }
        settle("budget");
        assertThat(count("budget", "dropped") - dropped).isGreaterThan(5 * (reads + 100) - 10);
        // the verifier only counts and drops on the client's path: no measurable cost
        assertThat(budget).isLessThan(plain * 2 + TimeUnit.MILLISECONDS.toNanos(50));
    }

    private static long timeReads(String listener, int reads) {
        try (Jedis client = proxy(listener)) {
            for (int i = 0; i < 100; i++) {
                client.get("b:k");
            }
            long start = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                assertThat(client.get("b:k")).isEqualTo("v");
            }
            return System.nanoTime() - start;
        }
    }
}
