package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.args.ListDirection;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.util.KeyValue;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static io.metacluster.e2e.RedisProxyIT.resp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blocking commands through the daemon and three clusters: each runs on a connection of the
 * client's own to the read cluster (other clients go on meanwhile), what it did reaches the other
 * clusters as its effect, and every cluster ends up holding the same data.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisBlockingIT extends ThreeRedisClusters {
    /** Waits until dc1 (the read cluster) shows {@code blocked} clients blocked. */
    static void awaitBlocked(int blocked) throws InterruptedException {
        try (Jedis dc1 = direct(backends.dc1)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!dc1.info("clients").contains("blocked_clients:" + blocked) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(dc1.info("clients")).contains("blocked_clients:" + blocked);
        }
    }

    @Test
    void blpopWaitsForAPushWhileOtherClientsGoOnAndEveryClusterPopsIt() throws Exception {
        try (Jedis blocked = proxy(); Jedis other = proxy()) {
            other.rpush("other", "a", "b");
            CompletableFuture<List<String>> popped = CompletableFuture.supplyAsync(() -> blocked.blpop(0, "q1", "q2"));
            awaitBlocked(1);
            assertThat(other.lrange("other", 0, -1)).as("the shared connections are not stalled").containsExactly("a", "b");
            other.rpush("q2", "x", "y");
            assertThat(popped.get(5, TimeUnit.SECONDS)).containsExactly("q2", "x");
            assertThat(blocked.lrange("q2", 0, -1)).as("the client's connection works after it").containsExactly("y");
        }
        // the other clusters get the pop's effect in the background, after the client's reply
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (direct.llen("q2") != 1 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(direct.lrange("q2", 0, -1)).containsExactly("y");
            }
        }
    }

    @Test
    void whatTheClientSendsAfterABlockingCommandWaitsForItsReply() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port); Jedis other = proxy()) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((resp("BRPOP", "q", "0") + resp("RPUSH", "q", "after") + resp("LRANGE", "q", "0", "-1"))
                    .getBytes(StandardCharsets.UTF_8));
            awaitBlocked(1);
            other.rpush("q", "first");
            String expected = "*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n:1\r\n*1\r\n$5\r\nafter\r\n";
            byte[] reply = socket.getInputStream().readNBytes(expected.length());
            assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo(expected);
        }
    }

    @Test
    void servedAtOnceEachBlockingCommandLeavesTheSameDataEverywhere() {
        try (Jedis client = proxy()) {
            client.rpush("l", "1", "2", "3", "4", "5", "6", "7", "8");
            client.zadd("z", Map.of("a", 1.0, "b", 2.0, "c", 3.0, "d", 4.0, "e", 5.0));
            assertThat(client.brpop(1, "l")).containsExactly("l", "8");
            assertThat(client.blmove("l", "m", ListDirection.LEFT, ListDirection.RIGHT, 1)).isEqualTo("1");
            assertThat(client.brpoplpush("l", "m", 1)).isEqualTo("7");
            KeyValue<String, List<String>> mpop = client.blmpop(1, ListDirection.LEFT, 2, "none", "l");
            assertThat(mpop.getKey()).isEqualTo("l");
            assertThat(mpop.getValue()).containsExactly("2", "3");
            assertThat(client.bzpopmin(1, "z").getValue().getElement()).isEqualTo("a");
            assertThat(client.bzpopmax(1, "z").getValue().getElement()).isEqualTo("e");
            assertThat(client.bzmpop(1, redis.clients.jedis.args.SortedSetOption.MIN, 2, "z").getValue()).hasSize(2);
            assertThat(client.lrange("l", 0, -1)).containsExactly("4", "5", "6");
            assertThat(client.zrange("z", 0, -1)).containsExactly("d");
        }
    }

    @Test
    void aTimedOutBlockingCommandAnswersNilAndChangesNothing() {
        try (Jedis client = proxy()) {
            client.set("k", "v");
            assertThat(client.blpop(0.1, "empty")).isNull();
            assertThat(client.bzpopmin(0.1, "empty")).isNull();
            assertThat(client.get("k")).isEqualTo("v");
        }
    }

    @Test
    void insideMultiABlockingCommandDoesNotBlock() {
        try (Jedis client = proxy()) {
            client.rpush("l", "a");
            Transaction multi = client.multi();
            multi.blpop(0, "l");
            multi.blpop(0, "l");
            List<Object> results = multi.exec();
            assertThat(results).hasSize(2);
            assertThat(results.get(1)).isNull();
        }
    }

    @Test
    void xreadBlockIsServedByALaterXadd() throws Exception {
        try (Jedis reader = proxy(); Jedis writer = proxy()) {
            writer.xadd("s", XAddParams.xAddParams(), Map.of("f", "old"));
            var read = CompletableFuture.supplyAsync(() -> reader.xread(XReadParams.xReadParams().block(0),
                    Map.of("s", StreamEntryID.XREAD_NEW_ENTRY)));
            awaitBlocked(1);
            StreamEntryID id = writer.xadd("s", XAddParams.xAddParams(), Map.of("f", "new"));
            var entries = read.get(5, TimeUnit.SECONDS);
            assertThat(entries.get(0).getValue().get(0).getID()).isEqualTo(id);
        }
    }

    @Test
    void waitAnswersWithTheReadClustersReplicas() {
        try (Jedis client = proxy()) {
            client.set("k", "v");
            assertThat(client.waitReplicas(0, 100)).isZero();
        }
    }
}
