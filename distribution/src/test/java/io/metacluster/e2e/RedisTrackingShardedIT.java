package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's own connection to a sharded read cluster ({@code hash-ring}) reaches one node: a
 * tracking or watching client's command on a key of another node is refused, never answered by the
 * wrong node (which would say the key does not exist).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTrackingShardedIT {
    private static final String REFUSED = "-ERR GET is refused by metacluster: its keys are on another node of the"
            + " sharded read cluster than the one this client's own backend connection reaches (WATCH, CLIENT TRACKING)\r\n";

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
                clusters:
                  - name: sharded
                    local: true
                    topology: hash-ring
                    nodes: [{shards}]
                  - name: single
                    nodes: [{single}]
                """.formatted(port));
    }

    /** Which shard holds {@code key}, read behind the proxy's back. */
    private static int shardOf(String key) {
        for (int i = 0; i < ring.shards.size(); i++) {
            try (Jedis direct = direct(ring.shards.get(i))) {
                if (direct.exists(key)) {
                    return i;
                }
            }
        }
        throw new AssertionError(key + " is on no shard");
    }

    @Test
    void aTrackingClientGetsItsKeysFromTheirNodeOrARefusalNeverAWrongAnswer() {
        int served = 0;
        int refused = 0;
        try (RespClient tracker = RespClient.connect(port); Jedis writer = new Jedis("127.0.0.1", port, 10_000)) {
            tracker.call("HELLO", "3");
            assertThat(tracker.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
            String servedKey = null;
            for (int i = 0; i < 30; i++) {
                String key = "t" + Integer.toHexString(i * 0x9E3779B1);
                writer.set(key, "v" + i);
                tracker.send("GET", key);
                String reply = tracker.readRaw();
                if (reply.equals(REFUSED)) {
                    refused++;
                } else {
                    assertThat(reply).as(key).isEqualTo("$" + ("v" + i).length() + "\r\nv" + i + "\r\n");
                    assertThat(shardOf(key)).as("served keys all live on the pinned node").isEqualTo(0);
                    served++;
                    servedKey = key;
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
        try (RespClient client = RespClient.connect(port); Jedis writer = new Jedis("127.0.0.1", port, 10_000)) {
            String watched = null;
            String other = null;
            for (int i = 0; watched == null || other == null; i++) {
                String key = "w" + Integer.toHexString(i * 0x9E3779B1);
                writer.set(key, "x");
                if (shardOf(key) == 0 && watched == null) {
                    watched = key;
                } else if (shardOf(key) != 0 && other == null) {
                    other = key;
                }
            }
            assertThat(client.call("WATCH", watched)).isEqualTo("OK");
            client.send("GET", other);
            assertThat(client.readRaw()).isEqualTo(REFUSED);
            assertThat(client.call("GET", watched)).isEqualTo("x");
            assertThat(client.call("UNWATCH")).isEqualTo("OK");
            assertThat(client.call("GET", other)).as("routed as usual again").isEqualTo("x");
        }
    }
}
