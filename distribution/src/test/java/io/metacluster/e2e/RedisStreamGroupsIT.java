package io.metacluster.e2e;

import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamPendingEntry;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static io.metacluster.e2e.RedisBlockingIT.awaitBlocked;
import static io.metacluster.e2e.RedisProxyIT.resp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * XREADGROUP through the daemon and three clusters: the read cluster decides which entries a
 * consumer gets (blocking or not), and every cluster ends with the same consumer-group state,
 * pending entries' delivery times and counts included ({@link RedisBackends#streamWithGroups}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisStreamGroupsIT extends ThreeRedisClusters {
    private static final StreamEntryID NEW = StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY;

    /** The stream's pending entries on {@code server}, once the propagation reached it. */
    private static List<StreamPendingEntry> pending(RedisServer server, String key, int expected) throws InterruptedException {
        try (Jedis direct = direct(server)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            List<StreamPendingEntry> entries;
            while ((entries = direct.xpending(key, "g", XPendingParams.xPendingParams().count(100))).size() != expected
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return entries;
        }
    }

    @Test
    void xreadgroupBlockIsServedByALaterXaddAndEveryClusterHoldsItsPendingEntry() throws Exception {
        try (Jedis reader = proxy(); Jedis writer = proxy()) {
            writer.xgroupCreate("s", "g", StreamEntryID.XGROUP_LAST_ENTRY, true);
            writer.xadd("s", XAddParams.xAddParams(), Map.of("f", "before the group read"));
            writer.xgroupSetID("s", "g", StreamEntryID.XGROUP_LAST_ENTRY);
            var read = CompletableFuture.supplyAsync(() -> reader.xreadGroup("g", "alice",
                    XReadGroupParams.xReadGroupParams().block(0), Map.of("s", NEW)));
            awaitBlocked(1);
            assertThat(writer.xlen("s")).as("the shared connections are not stalled").isEqualTo(1);
            StreamEntryID id = writer.xadd("s", XAddParams.xAddParams(), Map.of("f", "new"));
            List<Map.Entry<String, List<StreamEntry>>> got = read.get(5, TimeUnit.SECONDS);
            assertThat(got.get(0).getValue().get(0).getID()).isEqualTo(id);
            assertThat(reader.xack("s", "g", id)).as("the client's connection works after it").isEqualTo(1);
            StreamEntryID second = writer.xadd("s", XAddParams.xAddParams(), Map.of("f", "second"));
            assertThat(reader.xreadGroup("g", "bob", XReadGroupParams.xReadGroupParams().block(1000),
                    Map.of("s", NEW)).get(0).getValue().get(0).getID()).as("served at once").isEqualTo(second);
        }
        for (RedisServer server : backends.all) {
            List<StreamPendingEntry> entries = pending(server, "s", 1);
            assertThat(entries).hasSize(1);
            assertThat(entries.get(0).getConsumerName()).isEqualTo("bob");
            assertThat(entries.get(0).getDeliveredTimes()).isEqualTo(1);
        }
    }

    @Test
    void aTimedOutXreadgroupBlockAnswersNilAndChangesNothing() throws Exception {
        try (Jedis client = proxy(); Socket socket = new Socket("127.0.0.1", port)) {
            client.xgroupCreate("s", "g", StreamEntryID.XGROUP_LAST_ENTRY, true);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(resp("XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "s", ">")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(new String(socket.getInputStream().readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("*-1\r\n");
        }
    }

    @Test
    void readsOfNewEntriesLeaveTheSamePendingListsEverywhere() throws Exception {
        try (Jedis client = proxy()) {
            for (String key : List.of("a", "b")) {
                client.xgroupCreate(key, "g", new StreamEntryID(0), true);
                for (int i = 0; i < 30; i++) {
                    client.xadd(key, XAddParams.xAddParams(), Map.of("n", Integer.toString(i)));
                }
            }
            Map<String, StreamEntryID> both = new LinkedHashMap<>();
            both.put("a", NEW);
            both.put("b", NEW);
            for (int round = 0; round < 6; round++) {
                // a few milliseconds apart: each delivery time is a different one
                for (String consumer : List.of("c1", "c2")) {
                    var got = client.xreadGroup("g", consumer, XReadGroupParams.xReadGroupParams().count(2), both);
                    assertThat(got).hasSize(2);
                    Thread.sleep(3);
                }
            }
            var noack = client.xreadGroup("g", "quiet", XReadGroupParams.xReadGroupParams().count(3).noAck(), both);
            assertThat(noack.get(0).getValue()).hasSize(3);
            List<StreamEntry> acked = client.xreadGroup("g", "c1", XReadGroupParams.xReadGroupParams().count(1),
                    Map.of("a", NEW)).get(0).getValue();
            assertThat(client.xack("a", "g", acked.get(0).getID())).isEqualTo(1);
            assertThat(client.xreadGroup("g", "c3", XReadGroupParams.xReadGroupParams(), Map.of("a", NEW)).get(0).getValue())
                    .as("the rest of a").hasSize(30 - 24 - 3 - 1);
        }
        for (RedisServer server : backends.all) {
            assertThat(pending(server, "a", 30 - 3 - 1)).hasSize(30 - 3 - 1);
            try (Jedis direct = direct(server)) {
                assertThat(direct.xinfoGroups("b").get(0).getLastDeliveredId()).isEqualTo(
                        direct(backends.dc1).xinfoGroups("b").get(0).getLastDeliveredId());
            }
        }
    }

    @Test
    void aResp3ClientsReadIsPropagatedFromItsMapReply() throws Exception {
        try (Jedis client = proxy(); Socket socket = new Socket("127.0.0.1", port)) {
            client.xgroupCreate("s", "g", new StreamEntryID(0), true);
            StreamEntryID id = client.xadd("s", XAddParams.xAddParams(), Map.of("f", "v"));
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((resp("HELLO", "3") + resp("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"))
                    .getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            String expected = "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$" + id.toString().length() + "\r\n" + id + "\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
            String all = readUntil(in, expected);
            assertThat(all).endsWith(expected);
        }
        for (RedisServer server : backends.all) {
            assertThat(pending(server, "s", 1)).hasSize(1);
        }
    }

    private static String readUntil(InputStream in, String suffix) throws java.io.IOException {
        StringBuilder got = new StringBuilder();
        while (!got.toString().endsWith(suffix)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            got.append((char) b);
        }
        return got.toString();
    }

    @Test
    void insideMultiXreadgroupBlockDoesNotBlock() {
        try (Jedis client = proxy()) {
            client.xgroupCreate("s", "g", StreamEntryID.XGROUP_LAST_ENTRY, true);
            Transaction multi = client.multi();
            multi.xreadGroup("g", "c", XReadGroupParams.xReadGroupParams().block(0), Map.of("s", NEW));
            multi.set("after", "1");
            List<Object> results = multi.exec();
            assertThat(results).hasSize(2);
            assertThat(results.get(0)).isNull();
            assertThat(client.get("after")).isEqualTo("1");
        }
    }

    @Test
    void aHistoryReadCountsTheDeliveryOnEveryCluster() throws Exception {
        try (Jedis client = proxy()) {
            client.xgroupCreate("s", "g", new StreamEntryID(0), true);
            StreamEntryID id = client.xadd("s", XAddParams.xAddParams(), Map.of("f", "v"));
            client.xreadGroup("g", "c", XReadGroupParams.xReadGroupParams(), Map.of("s", NEW));
            var again = client.xreadGroup("g", "c", XReadGroupParams.xReadGroupParams().block(0),
                    Map.of("s", new StreamEntryID(0)));
            assertThat(again.get(0).getValue().get(0).getID()).as("history: BLOCK does not block").isEqualTo(id);
            for (RedisServer server : backends.all) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                List<StreamPendingEntry> entries = pending(server, "s", 1);
                while (entries.get(0).getDeliveredTimes() != 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                    entries = pending(server, "s", 1);
                }
                assertThat(entries.get(0).getDeliveredTimes()).as("delivered twice on " + server.port()).isEqualTo(2);
            }
            // each cluster stamped the history read with its own clock (README): acknowledged, the copies are equal
            assertThat(client.xack("s", "g", id)).isEqualTo(1);
        }
    }
}
