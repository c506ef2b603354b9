package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sharded cluster ({@code topology: hash-ring}, three redis-servers, hash tags) as the local
 * one, next to a single-node cluster, through the daemon with Jedis.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HashRingIT {
    @AutoClose
    static ShardedBackends<RedisServer> ring;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        port = FreePorts.find();
        ring = ShardedBackends.withSingle(RedisServer::start, """
                replay: { dir: "" }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [sharded, single]
                    write: { policy: all }
                clusters:
                  - name: sharded
                    local: true
                    topology: hash-ring
                    topology-options: { hash-tag: "{}" }
                    nodes: [{shards}]
                  - name: single
                    nodes: [{single}]
                """.formatted(port));
    }

    @BeforeEach
    void empty() {
        for (RedisServer server : allServers()) {
            try (Jedis direct = direct(server)) {
                direct.flushAll();
            }
        }
    }

    private static List<RedisServer> allServers() {
        List<RedisServer> all = new ArrayList<>(ring.shards);
        all.add(ring.single);
        return all;
    }

    private static Jedis proxy() {
        return new Jedis("127.0.0.1", port, 10_000);
    }

    /** Which shard holds {@code key} (read behind the proxy's back); -1 when none, -2 when several. */
    private static int shardOf(String key) {
        int found = -1;
        for (int i = 0; i < ring.shards.size(); i++) {
            try (Jedis direct = direct(ring.shards.get(i))) {
                if (direct.exists(key)) {
                    found = found == -1 ? i : -2;
                }
            }
        }
        return found;
    }

    /**
     * Key {@code i} of a test: varied, since twemproxy's 32-bit FNV-1a (which the ring keeps, for
     * placement compatibility) puts keys that differ only in their last character close together.
     */
    private static String key(int i) {
        return "k" + Integer.toHexString(i * 0x9E3779B1);
    }

    @Test
    void eachKeyLivesOnOneShardAndEveryShardGetsSome() {
        int[] perShard = new int[3];
        try (Jedis client = proxy()) {
            for (int i = 0; i < 300; i++) {
                assertThat(client.set(key(i), "v" + i)).isEqualTo("OK");
            }
            for (int i = 0; i < 300; i++) {
                assertThat(client.get(key(i))).isEqualTo("v" + i);
            }
        }
        for (int i = 0; i < 300; i++) {
            int shard = shardOf(key(i));
            assertThat(shard).as("%s is on exactly one shard", key(i)).isGreaterThanOrEqualTo(0);
            perShard[shard]++;
        }
        for (int count : perShard) {
            assertThat(count).isBetween(40, 160);
        }
        try (Jedis direct = direct(ring.single)) {
            assertThat(direct.dbSize()).as("the single-node cluster has every key").isEqualTo(300);
        }
    }

    @Test
    void keysWithOneHashTagShareAShardAndMultiKeyCommandsWork() {
        try (Jedis client = proxy()) {
            assertThat(client.mset("{user:7}:name", "ann", "{user:7}:city", "oslo", "{user:7}:lang", "no")).isEqualTo("OK");
            assertThat(client.mget("{user:7}:name", "{user:7}:city")).containsExactly("ann", "oslo");
            assertThat(client.del("{user:7}:lang", "{user:7}:nope")).isEqualTo(1);
        }
        int shard = shardOf("{user:7}:name");
        assertThat(shard).isGreaterThanOrEqualTo(0);
        assertThat(shardOf("{user:7}:city")).isEqualTo(shard);
        assertThat(shardOf("{user:7}:lang")).isEqualTo(-1);
    }

    @Test
    void aReadTheShardsCannotServeGoesToAnotherClusterAndSuchAWriteFails() {
        // two keys on different shards: find them through the proxy
        String first = key(0);
        String second = null;
        try (Jedis client = proxy()) {
            client.set(first, "1");
            for (int i = 1; second == null; i++) {
                client.set(key(i), "x");
                if (shardOf(key(i)) != shardOf(first)) {
                    second = key(i);
                }
            }
            try (Jedis direct = direct(ring.single)) {
                direct.set(first, "from-single");
            }
            assertThat(client.mget(first, second, "nope")).as("split over the shards, joined in key order")
                    .containsExactly("1", "x", null);
            assertThat(client.exists(second, first, "nope", first)).as("split, the counts added").isEqualTo(3);
            try (Jedis direct = direct(ring.single)) {
                direct.set(second, "single-x");
            }
            // LCS of "from-single" and "single-x" is "single": only the single-node cluster holds those values
            assertThat(client.sendCommand(() -> "LCS".getBytes(), first, second, "LEN"))
                    .as("a read that cannot be split: served by the single-node cluster").isEqualTo(6L);
            String other = second;
            assertThat(client.mset(first, "2", other, "3")).as("split over the shards").isEqualTo("OK");
            assertThat(client.mget(first, other)).containsExactly("2", "3");
            assertThat(client.del(first, other, "nope")).as("split, the counts added").isEqualTo(2);
            client.set(first, "1");
            assertThatThrownBy(() -> client.rename(first, other))
                    .as("write policy all: a write that cannot be split cannot be taken by the sharded cluster")
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("cluster sharded has 3 nodes");
            long keysOnSingle;
            try (Jedis direct = direct(ring.single)) {
                keysOnSingle = direct.dbSize();
            }
            assertThat(client.dbSize()).as("a keyless read: served by the single-node cluster").isEqualTo(keysOnSingle);
            assertThat(client.get(first)).as("the connection goes on").isEqualTo("1");
        }
        assertThat(ring.daemon.engine.metrics().counter("cluster.sharded.writes-missed").getCount()).isPositive();
    }

    @Test
    void aKeylessWriteReachesEveryShard() {
        try (Jedis client = proxy()) {
            for (int i = 0; i < 60; i++) {
                client.set(key(i), "v");
            }
            assertThat(client.flushDB()).isEqualTo("OK");
        }
        for (RedisServer server : allServers()) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.dbSize()).as("%s", server.address()).isZero();
            }
        }
    }

    /** A conversation's command on keys of another shard than its connection's (the pinned node: shard 0 when keyless). */
    private static final String ON_ANOTHER_NODE = "-ERR GET is refused by metacluster: its keys are on another node of"
            + " the sharded read cluster than the one this client's own backend connection reaches (WATCH, CLIENT TRACKING)\r\n";

    @Test
    void aTrackingClientGetsItsKeysFromTheirNodeOrARefusalNeverAWrongAnswer() {
        int served = 0;
        int refused = 0;
        try (RespClient tracker = RespClient.connect(port); Jedis writer = proxy()) {
            tracker.call("HELLO", "3");
            assertThat(tracker.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
            String servedKey = null;
            for (int i = 0; i < 30; i++) {
                writer.set(key(i), "v" + i);
                tracker.send("GET", key(i));
                String reply = tracker.readRaw();
                if (reply.equals(ON_ANOTHER_NODE)) {
                    refused++;
                } else {
                    assertThat(reply).as(key(i)).isEqualTo("$" + ("v" + i).length() + "\r\nv" + i + "\r\n");
                    assertThat(shardOf(key(i))).as("served keys all live on the pinned node").isZero();
                    served++;
                    servedKey = key(i);
                }
            }
            assertThat(served).isPositive();
            assertThat(refused).isPositive();
            writer.set(servedKey, "changed");
            assertThat(tracker.readRaw()).isEqualTo(">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + servedKey.length() + "\r\n"
                    + servedKey + "\r\n");
        }
    }

    @Test
    void aWatchingClientsReadOfAnotherNodesKeyIsRefusedToo() {
        try (RespClient client = RespClient.connect(port); Jedis writer = proxy()) {
            String watched = null;
            String other = null;
            for (int i = 0; watched == null || other == null; i++) {
                writer.set(key(i), "x");
                if (shardOf(key(i)) == 0) {
                    watched = watched == null ? key(i) : watched;
                } else {
                    other = other == null ? key(i) : other;
                }
            }
            assertThat(client.call("WATCH", watched)).isEqualTo("OK");
            client.send("GET", other);
            assertThat(client.readRaw()).isEqualTo(ON_ANOTHER_NODE);
            assertThat(client.call("GET", watched)).isEqualTo("x");
            assertThat(client.call("UNWATCH")).isEqualTo("OK");
            assertThat(client.call("GET", other)).as("routed as usual again").isEqualTo("x");
        }
    }
}
