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
}
