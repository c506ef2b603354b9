package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resync: a node restarted empty, or one whose replay log overflowed, is kept out of reads and
 * refilled from the other cluster, against real redis-servers.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ResyncIT {
    private static final int PRELOAD = 20_000;

    @TempDir
    Path replayDir;
    RedisServer dc1;
    RedisServer dc2;
    Daemon daemon;
    int port;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        dc1.close();
        dc2.close();
    }

    private void start(String replay) throws Exception {
        port = FreePorts.find();
        daemon = Daemon.start(DatacenterYaml.twoReplaying("redis", port, "dc1, dc2", replayDir, replay, """
                resync:
                  keys-per-second: 100000""", dc1, dc2));
    }

    @Test
    void aLocalNodeRestartedEmptyUnderTrafficMissesNoReadAndIsRefilled() throws Exception {
        dc1 = RedisServer.start();
        dc2 = RedisServer.start();
        start("");
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < PRELOAD; i += 1000) {
                String[] pairs = new String[2000];
                for (int k = 0; k < 1000; k++) {
                    pairs[2 * k] = "pre:" + (i + k);
                    pairs[2 * k + 1] = "v" + (i + k);
                }
                client.mset(pairs);
            }
        }
        ReadsAndWrites traffic = new ReadsAndWrites(() -> RedisBackends.trafficClient(port), PRELOAD);
        traffic.restartEmpty(dc1, daemon, "dc1");
        int written = traffic.written();
        assertThat(daemon.counter("cluster.dc1.resync.completed")).isEqualTo(1);
        try (Jedis direct1 = new Jedis("127.0.0.1", dc1.port()); Jedis direct2 = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(direct1.dbSize()).isEqualTo(direct2.dbSize()).isEqualTo(PRELOAD + (long) written);
            assertThat(direct1.get("pre:0")).isEqualTo("v0");
            assertThat(direct1.get("new:" + (written - 1))).isEqualTo("w" + (written - 1));
        }
    }

    @Test
    void anOverflowResyncsTheNodeInsteadOfFlushingIt() throws Exception {
        dc1 = RedisServer.start();
        // keeps its data across the restart: the node is stale, not empty
        dc2 = RedisServer.start("--appendonly", "yes");
        start("  max-entries: 100");
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < 2000; i++) {
                client.set("old:" + i, "v" + i);
            }
            client.expire("old:0", 3600);
            dc2.stop();
            for (int i = 0; i < 1000; i++) {
                assertThat(client.set("new:" + i, "w" + i)).isEqualTo("OK");
                client.set("old:" + (i + 1), "changed" + i);
            }
        }
        assertThat(daemon.counter("cluster.dc2.replay.overflows")).isEqualTo(1);
        dc2.restart();
        daemon.awaitCounter("cluster.dc2.resync.completed", 1);
        daemon.awaitHealthy();
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(direct.dbSize()).as("nothing flushed, every acknowledged key there").isEqualTo(3000);
            for (int i = 0; i < 1000; i++) {
                assertThat(direct.get("new:" + i)).isEqualTo("w" + i);
                assertThat(direct.get("old:" + (i + 1))).isEqualTo("changed" + i);
            }
            assertThat(direct.get("old:1500")).isEqualTo("v1500");
            assertThat(direct.ttl("old:0")).isBetween(3000L, 3600L);
        }
        assertThat(daemon.counter("cluster.dc2.resync.completed")).isEqualTo(1);
    }

    @Test
    void aKeyDeletedWhileTheNodeMissedWritesIsDeletedThereToo() throws Exception {
        dc1 = RedisServer.start();
        // keeps its data across the restart: it comes back holding keys deleted meanwhile
        dc2 = RedisServer.start("--appendonly", "yes");
        start("  max-entries: 100");
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < 2000; i++) {
                client.set("k:" + i, "v" + i);
            }
            dc2.stop();
            // within the replay log: replayed; past it (overflow): the resync must delete them
            for (int i = 0; i < 500; i++) {
                assertThat(client.del("k:" + i)).isEqualTo(1);
            }
        }
        assertThat(daemon.counter("cluster.dc2.replay.overflows")).isEqualTo(1);
        dc2.restart();
        daemon.awaitCounter("cluster.dc2.resync.completed", 1);
        daemon.awaitHealthy();
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(direct.exists("k:0")).isFalse();
            assertThat(direct.exists("k:499")).isFalse();
            assertThat(direct.get("k:500")).isEqualTo("v500");
            assertThat(direct.dbSize()).isEqualTo(1500);
        }
        assertThat(daemon.counter("cluster.dc2.resync.keys-deleted")).isEqualTo(500);
    }

    @Test
    void aKeyDeletedWhileTheNodeWasDownIsDeletedByTheReplay() throws Exception {
        dc1 = RedisServer.start();
        dc2 = RedisServer.start("--appendonly", "yes");
        start("");
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < 200; i++) {
                client.set("k:" + i, "v" + i);
            }
            dc2.stop();
            for (int i = 0; i < 50; i++) {
                assertThat(client.del("k:" + i)).isEqualTo(1);
            }
        }
        dc2.restart();
        daemon.awaitHealthy();
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(direct.exists("k:0")).isFalse();
            assertThat(direct.dbSize()).isEqualTo(150);
        }
    }
}
