package io.metacluster.e2e;

import com.codahale.metrics.Meter;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two daemons in front of the same three redis-servers, as two datacenters would run them (each
 * with its own local cluster), one writer each on the same keys, every read verified and the
 * scrub on, with {@code local-wins} repair: no repair may roll back an acknowledged write. With
 * {@code write: all} a write is acknowledged once every cluster applied it, so the oracle is
 * exact: a key's final value must be one of its writes that no other write followed (started
 * after it was acknowledged), on every cluster. Meanwhile a third hand writes junk straight into
 * dc3 (nobody's local cluster), so that repairs run while the writers write.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TwoProxiesIT {
    private static final int KEYS = 20;
    private static final long WRITE_MS = 15_000;

    /** One acknowledged write. */
    record Write(String value, long started, long acknowledged) {
    }

    private static String config(int port, String local, String other1, String other2, RedisServer... servers) {
        Map<String, RedisServer> byName = Map.of("dc1", servers[0], "dc2", servers[1], "dc3", servers[2]);
        return """
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    write: { policy: all }
                    verify: { strategy: sampled, rate: 1, max-per-second: 100000, repair: local-wins,
                              recheck-delay-ms: 20, scrub: { keys-per-second: 5000 } }
                clusters:
                  - { name: %s, local: true, nodes: [%s] }
                  - { name: %s, nodes: [%s] }
                  - { name: %s, nodes: [%s] }
                """.formatted(port, local, byName.get(local).address(), other1, byName.get(other1).address(),
                other2, byName.get(other2).address());
    }

    static long meter(Daemon daemon, String name) {
        Meter meter = daemon.engine.metrics().getMeters().get("listener.main.verify." + name);
        return meter == null ? 0 : meter.getCount();
    }

    /** No divergence is made: every one declared is a false alarm (or concurrent writes applied in other orders). */
    @Test
    void concurrentWritersThroughTwoDaemonsRaiseFewAlarmsAndRollNothingBack() throws Exception {
        run(false);
    }

    @Test
    void repairsRunningWhileBothWriteNeverRollBackAnAcknowledgedWrite() throws Exception {
        run(true);
    }

    private void run(boolean junk) throws Exception {
        RedisServer dc1 = RedisServer.start();
        RedisServer dc2 = RedisServer.start();
        RedisServer dc3 = RedisServer.start();
        int portA = FreePorts.find();
        int portB = FreePorts.find();
        ExecutorService writers = Executors.newFixedThreadPool(3);
        try (Daemon a = Daemon.start(config(portA, "dc1", "dc2", "dc3", dc1, dc2, dc3));
             Daemon b = Daemon.start(config(portB, "dc2", "dc1", "dc3", dc1, dc2, dc3))) {
            a.awaitHealthy();
            b.awaitHealthy();
            Map<String, List<Write>> writes = new ConcurrentHashMap<>();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WRITE_MS);
            List<Future<Integer>> done = new ArrayList<>();
            for (String[] proxy : new String[][] {{"A", Integer.toString(portA)}, {"B", Integer.toString(portB)}}) {
                done.add(writers.submit(() -> {
                    int count = 0;
                    try (Jedis client = new Jedis("127.0.0.1", Integer.parseInt(proxy[1]), 10_000)) {
                        while (System.nanoTime() < end) {
                            String key = "k:" + ThreadLocalRandom.current().nextInt(KEYS);
                            String value = proxy[0] + count++;
                            long started = System.nanoTime();
                            if ("OK".equals(client.set(key, value))) {
                                writes.computeIfAbsent(key, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                        .add(new Write(value, started, System.nanoTime()));
                            }
                            client.get("k:" + ThreadLocalRandom.current().nextInt(KEYS)); // a read to verify
                        }
                    }
                    return count;
                }));
            }
            Future<Integer> chaos = writers.submit(() -> {
                int count = 0;
                try (Jedis direct = direct(dc3)) {
                    while (junk && System.nanoTime() < end) {
                        direct.set("k:" + ThreadLocalRandom.current().nextInt(KEYS), "junk" + count++);
                        Thread.sleep(20);
                    }
                }
                return count;
            });
            int written = done.get(0).get() + done.get(1).get();
            int junked = chaos.get();
            // the copies settle: the scrubs' passes compare (and repair) every key once more
            ScrubIT.awaitPasses(a, 2, 120);
            ScrubIT.awaitPasses(b, 2, 120);
            int rollbacks = 0;
            int unequal = 0;
            try (Jedis j1 = direct(dc1); Jedis j2 = direct(dc2); Jedis j3 = direct(dc3)) {
                for (Map.Entry<String, List<Write>> entry : writes.entrySet()) {
                    String v1 = j1.get(entry.getKey());
                    if (!v1.equals(j2.get(entry.getKey())) || !v1.equals(j3.get(entry.getKey()))) {
                        unequal++;
                    }
                    if (!lastWrites(entry.getValue()).contains(v1)) {
                        rollbacks++;
                    }
                }
            }
            long alarms = meter(a, "mismatch") + meter(b, "mismatch");
            System.out.printf("two proxies: %d writes acknowledged on %d keys, %d junk values put into dc3; declared divergences (false alarms"
                    + " or concurrent writes applied in different orders) %d; clusters repaired %d; repairs declined %d;"
                    + " rollbacks %d; keys unequal %d%n", written, writes.size(), junked, alarms,
                    meter(a, "clusters-repaired") + meter(b, "clusters-repaired"),
                    meter(a, "repair-declined") + meter(b, "repair-declined"), rollbacks, unequal);
            assertThat(rollbacks).as("keys whose final value is not one of their last acknowledged writes").isZero();
            assertThat(unequal).as("keys not equal on every cluster").isZero();
        } finally {
            writers.shutdownNow();
            dc1.close();
            dc2.close();
            dc3.close();
        }
    }

    /** The writes no other write followed: started after it was acknowledged. Any may be last. */
    private static Set<String> lastWrites(List<Write> writes) {
        long lastStart = writes.stream().mapToLong(Write::started).max().orElseThrow();
        Set<String> last = new HashSet<>();
        for (Write write : writes) {
            if (write.acknowledged() >= lastStart) {
                last.add(write.value());
            }
        }
        return last;
    }
}
