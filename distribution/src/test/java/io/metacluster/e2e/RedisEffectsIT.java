package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes whose outcome one cluster decides (XADD *, SPOP, INCRBYFLOAT, HINCRBYFLOAT), through the
 * daemon and three clusters: the client gets the read cluster's outcome, and every cluster ends up
 * holding the same data (the DUMP of every key, stream IDs included).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisEffectsIT extends ThreeRedisClusters {
    @Test
    void aPipelinedBurstOfXaddStarGetsTheClientsIdsOnEveryCluster() {
        List<Response<StreamEntryID>> ids = new ArrayList<>();
        try (Jedis client = proxy()) {
            Pipeline pipeline = client.pipelined();
            for (int i = 0; i < 2_000; i++) {
                ids.add(pipeline.xadd("s", XAddParams.xAddParams(), Map.of("n", Integer.toString(i))));
                if (i % 500 == 0) {
                    pipeline.xadd("t", XAddParams.xAddParams().id("7-*"), Map.of("n", "x"));
                }
            }
            pipeline.sync();
        }
        Set<StreamEntryID> distinct = new HashSet<>();
        ids.forEach(id -> distinct.add(id.get()));
        assertThat(distinct).hasSize(2_000);
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.xlen("s")).isEqualTo(2_000);
                assertThat(direct.xrange("s", "-", "+", 1).get(0).getID()).isEqualTo(ids.get(0).get());
                assertThat(direct.xrevrange("s", "+", "-", 1).get(0).getID()).isEqualTo(ids.get(1_999).get());
            }
        }
    }

    @Test
    void xaddWithTrimmingAndNomkstreamKeepsTheCopiesEqual() {
        try (Jedis client = proxy()) {
            for (int i = 0; i < 50; i++) {
                client.xadd("s", XAddParams.xAddParams().maxLen(10).exactTrimming(), Map.of("n", Integer.toString(i)));
            }
            assertThat(client.xadd("missing", XAddParams.xAddParams().noMkStream(), Map.of("n", "1"))).isNull();
            assertThat(client.xlen("s")).isEqualTo(10);
        }
    }

    @Test
    void spopRemovesTheSameMembersEverywhere() {
        try (Jedis client = proxy()) {
            for (int i = 0; i < 10; i++) {
                client.sadd("set", "m" + i, "n" + i, "o" + i);
            }
            Set<String> popped = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                popped.add(client.spop("set"));
            }
            popped.addAll(client.spop("set", 7));
            assertThat(popped).hasSize(12);
            assertThat(client.spop("nothing")).isNull();
            assertThat(client.spop("nothing", 3)).isEmpty();
            for (var server : backends.all) {
                try (Jedis direct = direct(server)) {
                    assertThat(direct.scard("set")).isEqualTo(18);
                    assertThat(direct.smembers("set")).doesNotContainAnyElementsOf(popped);
                }
            }
        }
    }

    @Test
    void aWriteAfterSpopReachesEveryClusterAfterIt() {
        try (Jedis client = proxy()) {
            client.sadd("set", "a", "b", "c");
            Pipeline pipeline = client.pipelined();
            Response<String> popped = pipeline.spop("set");
            pipeline.del("set");
            pipeline.sadd("set", "z");
            pipeline.sync();
            assertThat(popped.get()).isIn("a", "b", "c");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.smembers("set")).containsExactly("z");
            }
        }
    }

    @Test
    void incrbyfloatStoresTheClientsResultAndKeepsTheTtl() {
        try (Jedis client = proxy()) {
            client.setex("f", 100, "10.5");
            assertThat(client.incrByFloat("f", 0.1)).isEqualTo(10.6);
            assertThat(client.incrByFloat("f", 5.0e3)).isEqualTo(5010.6); // "5010.60000000000000009" on the wire
            assertThat(client.incrByFloat("plain", 3)).isEqualTo(3.0);
            assertThat(client.hincrByFloat("h", "x", 1.5)).isEqualTo(1.5);
            assertThat(client.hincrByFloat("h", "x", 0.25)).isEqualTo(1.75);
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("f")).isEqualTo("5010.60000000000000009");
                assertThat(direct.ttl("f")).isBetween(90L, 100L);
                assertThat(direct.ttl("plain")).isEqualTo(-1);
                assertThat(direct.hget("h", "x")).isEqualTo("1.75");
            }
        }
    }

    @Test
    void aFailedIncrbyfloatChangesNothing() {
        try (Jedis client = proxy()) {
            client.set("f", "not a number");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.incrByFloat("f", 1))
                    .hasMessageContaining("value is not a valid float");
        }
    }

    @Test
    void aTransactionWithoutWatchThatSpopsAndXaddsStarIsDecidedByOneClusterAndAppliedAsItsEffects() {
        List<Object> results;
        try (Jedis client = proxy()) {
            client.sadd("set", "a", "b", "c", "d", "e", "f");
            client.set("f", "1");
            redis.clients.jedis.Transaction multi = client.multi();
            multi.spop("set", 2);
            multi.xadd("s", StreamEntryID.NEW_ENTRY, Map.of("k", "v"));
            multi.incrByFloat("f", 0.1);
            multi.set("plain", "x");
            multi.spop("nothing");
            multi.lpush("set", "wrongtype");
            multi.hincrByFloat("h", "x", 2.5);
            multi.get("plain");
            results = multi.exec();
            assertThat(results).hasSize(8);
            assertThat(client.get("after")).as("the connection goes on").isNull();
        }
        @SuppressWarnings("unchecked")
        Set<String> popped = (Set<String>) results.get(0);
        assertThat(popped).hasSize(2);
        assertThat(results.get(4)).isNull();
        assertThat(results.get(5)).isInstanceOf(Exception.class);
        assertThat(results.get(7)).isEqualTo("x");
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.smembers("set")).hasSize(4).doesNotContainAnyElementsOf(popped);
                assertThat(direct.xrange("s", "-", "+").get(0).getID()).isEqualTo(results.get(1));
                assertThat(direct.get("f")).isEqualTo("1.1");
                assertThat(direct.hget("h", "x")).isEqualTo("2.5");
            }
        }
    }

    @Test
    void aPipelinedBurstOfDecidedTransactionsKeepsEveryClustersOrderAndConnections() {
        try (Jedis client = proxy()) {
            for (int i = 0; i < 200; i++) {
                client.sadd("set", "m" + i);
            }
            // Jedis's Pipeline has no MULTI: the commands are sent on its connection, then every reply read
            redis.clients.jedis.Connection connection = client.getConnection();
            for (int i = 0; i < 100; i++) {
                connection.sendCommand(redis.clients.jedis.Protocol.Command.MULTI);
                connection.sendCommand(redis.clients.jedis.Protocol.Command.SPOP, "set");
                connection.sendCommand(redis.clients.jedis.Protocol.Command.XADD, "s", "*", "n", Integer.toString(i));
                connection.sendCommand(redis.clients.jedis.Protocol.Command.INCR, "n");
                connection.sendCommand(redis.clients.jedis.Protocol.Command.EXEC);
                // ordinary writes in between share the backend connections
                connection.sendCommand(redis.clients.jedis.Protocol.Command.SET, "between" + i, "v");
            }
            for (int i = 0; i < 100; i++) {
                assertThat(connection.getStatusCodeReply()).isEqualTo("OK");
                for (int q = 0; q < 3; q++) {
                    assertThat(connection.getStatusCodeReply()).isEqualTo("QUEUED");
                }
                List<Object> exec = connection.getObjectMultiBulkReply();
                assertThat(exec).hasSize(3);
                assertThat((Long) exec.get(2)).isEqualTo(i + 1L);
                assertThat(connection.getStatusCodeReply()).isEqualTo("OK");
            }
            assertThat(client.scard("set")).isEqualTo(100);
            assertThat(client.get("n")).isEqualTo("100");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.scard("set")).isEqualTo(100);
                assertThat(direct.xlen("s")).isEqualTo(100);
                assertThat(direct.get("between99")).isEqualTo("v");
            }
        }
    }
}
