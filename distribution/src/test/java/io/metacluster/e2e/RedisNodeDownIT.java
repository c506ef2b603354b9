package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One node of a three-node Redis ring ({@code topology: hash-ring}, the local cluster) killed and
 * restarted empty under traffic, next to a single redis-server as the other cluster, under each
 * {@code on-node-down} mode, through the daemon with Jedis.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RedisNodeDownIT {
    private static final int PRELOAD = 300;
    private static final int DEAD = 2;

    @TempDir
    Path replayDir;
    @AutoClose
    ShardedBackends<RedisServer> ring;

    @ParameterizedTest
    @ValueSource(strings = {"failover-cluster", "eject"})
    void aNodeKilledAndRestartedUnderTraffic(String mode) throws Exception {
        boolean ejects = mode.equals("eject");
        int port = FreePorts.find();
        ring = ShardedBackends.withSingle(RedisServer::start, """
                backend: { reconnect-min-ms: 50, reconnect-max-ms: 300 }
                replay: { dir: %s }
                listeners:
                  - { name: main, protocol: redis, bind: 127.0.0.1:%d, clusters: [ring, single] }
                clusters:
                  - { name: ring, local: true, topology: hash-ring, on-node-down: %s, nodes: [{shards}] }
                  - { name: single, nodes: [{single}] }
                """.formatted(replayDir, port, mode));
        List<String> marked = new ArrayList<>();
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < PRELOAD; i++) {
                assertThat(client.set("pre:" + i, "v" + i)).isEqualTo("OK");
                marked.add("m:" + Integer.toHexString(i * 0x9E3779B1));
                assertThat(client.set(marked.get(i), "v" + i)).isEqualTo("OK");
            }
        }
        ReadsAndWrites traffic = new ReadsAndWrites(() -> RedisBackends.trafficClient(port), PRELOAD);
        Thread.sleep(300);
        ring.shards.get(DEAD).kill();
        if (ejects) {
            ring.daemon.awaitCounter("cluster.ring.ejections", 1);
        } else {
            while (ring.daemon.engine.clusterStatus().get(0).nodes().get(DEAD).up()) {
                Thread.sleep(20);
            }
        }
        List<String> ofTheDead = new ArrayList<>();
        try (Jedis client = new Jedis("127.0.0.1", port); Jedis other = direct(ring.single)) {
            for (int i = 0; i < PRELOAD; i++) {
                String key = marked.get(i);
                int owner = ring.daemon.nodeOf("ring", key);
                other.set(key, "single" + i);
                if (owner != DEAD) {
                    try (Jedis shard = direct(ring.shards.get(owner))) {
                        shard.set(key, "ring" + i);
                    }
                    assertThat(client.get(key)).as("%s of a live node, read locally", key).isEqualTo("ring" + i);
                    continue;
                }
                ofTheDead.add(key);
                assertThat(client.get(key)).as("%s of the down node", key).isEqualTo(ejects ? null : "single" + i);
                assertThat(client.set(key, "x" + i)).isEqualTo("OK");
                if (ejects) {
                    assertThat(client.get(key)).as("%s, on the node that stands in", key).isEqualTo("x" + i);
                }
            }
        }
        assertThat(ofTheDead).hasSizeGreaterThan(30);
        String watched = ofTheDead.get(0);
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            // a pinned conversation goes where its key can be served: another cluster, or the node that stands in
            client.watch(watched);
            Transaction transaction = client.multi();
            transaction.set(watched, "watched");
            assertThat(transaction.exec()).as("a WATCH transaction on a key of the down node").containsExactly("OK");
        }
        ring.shards.get(DEAD).restart();
        ring.daemon.awaitCounter(ejects ? "cluster.ring.rejoins" : "cluster.ring.resync.completed", 1);
        ring.daemon.awaitHealthy();
        Thread.sleep(500);
        traffic.stop();
        System.out.printf("redis %s: %d reads, %d missed, %d writes%n", mode, traffic.reads(), traffic.misses(),
                traffic.written());
        assertThat(traffic.failures()).as("client errors").isZero();
        if (ejects) {
            for (String missed : traffic.missed()) {
                String key = missed.substring(0, missed.indexOf(' '));
                assertThat(ring.daemon.nodeOf("ring", key)).as("a read that found nothing: %s", missed).isEqualTo(DEAD);
            }
            assertThat(ring.daemon.counter("cluster.ring.replay.replayed")).isZero();
        } else {
            assertThat(traffic.misses()).as("reads that found nothing: %s", traffic.missed()).isZero();
        }
        try (Jedis client = new Jedis("127.0.0.1", port); Jedis restarted = direct(ring.shards.get(DEAD))) {
            for (String key : ofTheDead) {
                String written = key.equals(watched) ? "watched" : "x" + marked.indexOf(key);
                assertThat(restarted.get(key)).as("%s on the restarted node", key).isEqualTo(ejects ? null : written);
                assertThat(client.get(key)).as(key).isEqualTo(ejects ? null : written);
            }
        }
    }
}
