package io.metacluster.e2e;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A looping script runs on every cluster, and the shared backend connections wait behind it:
 * SCRIPT KILL and FUNCTION KILL through the daemon reach every node on connections of their own,
 * the busy call ends with the script-killed error, and every client goes on as before.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisScriptKillIT extends ThreeRedisClusters {
    @BeforeEach
    void answerOthersWhileBusy() {
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                direct.configSet("busy-reply-threshold", "100"); // "BUSY" to others after 100 ms, not 5 s
            }
        }
    }

    @Test
    void scriptKillEndsALoopingEvalOnEveryClusterAndOthersRecover() throws Exception {
        try (Jedis busy = proxy(); Jedis other = proxy()) {
            other.set("before", "1");
            CompletableFuture<Object> looping = CompletableFuture.supplyAsync(() -> busy.eval("while true do end", 0));
            assertThat(killed(other, Jedis::scriptKill)).isEqualTo("OK");
            assertThatThrownBy(() -> looping.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(JedisDataException.class)
                    .hasMessageContaining("Script killed by user with SCRIPT KILL");
            assertThat(busy.ping()).isEqualTo("PONG");
            assertThat(busy.get("before")).isEqualTo("1");
            other.set("after", "2");
            assertThat(other.get("after")).isEqualTo("2");
            assertThatThrownBy(other::scriptKill).hasMessage("NOTBUSY No scripts in execution right now.");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("after")).isEqualTo("2");
            }
        }
    }

    @Test
    void aScriptKilledAfterTheNodesLookedHungIsNotReplayedNorIsAWriteSentMeanwhile() throws Exception {
        try (Jedis busy = proxy(); Jedis writer = proxy(); Jedis killer = proxy()) {
            CompletableFuture<Object> looping = CompletableFuture.supplyAsync(() -> busy.eval("while true do end", 0));
            Thread.sleep(300);
            CompletableFuture<Long> write = CompletableFuture.supplyAsync(() -> writer.incr("during"));
            Thread.sleep(2000); // past backend.suspect-after-ms (1 s): the nodes look hung, their writes in flight are kept
            assertThat(write).as("no -BUSY reaches the client: its write waits behind the script").isNotDone();
            assertThat(killed(killer, Jedis::scriptKill)).isEqualTo("OK");
            assertThatThrownBy(() -> looping.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(JedisDataException.class)
                    .hasMessageContaining("Script killed by user with SCRIPT KILL");
            assertThat(write.get(20, TimeUnit.SECONDS)).isEqualTo(1);
        }
        // the script and the INCR were answered after all: replaying them would loop again, and count twice
        backends.daemon.awaitHealthy();
        try (Jedis client = proxy()) {
            assertThat(client.incr("during")).isEqualTo(2);
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!"2".equals(direct.get("during")) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(direct.get("during")).as("on " + server.port()).isEqualTo("2");
            }
        }
    }

    @Test
    void functionKillEndsALoopingFcall() throws Exception {
        try (Jedis busy = proxy(); Jedis other = proxy()) {
            other.functionLoad("#!lua name=spin\nredis.register_function('spin', function() while true do end end)");
            CompletableFuture<Object> looping = CompletableFuture.supplyAsync(() -> busy.fcall("spin", List.of(), List.of()));
            assertThat(killed(other, Jedis::functionKill)).isEqualTo("OK");
            assertThatThrownBy(() -> looping.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(JedisDataException.class)
                    .hasMessageContaining("Script killed by user with"); // Redis 7.0 says SCRIPT KILL here too
            assertThat(busy.ping()).isEqualTo("PONG");
            other.functionFlush();
        }
    }

    /** {@code kill} through {@code client} once the script runs (NOTBUSY until it started everywhere). */
    private static String killed(Jedis client, Function<Jedis, String> kill) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                Thread.sleep(300);
                return kill.apply(client);
            } catch (JedisDataException e) {
                if (!e.getMessage().startsWith("NOTBUSY") || attempt == 20) {
                    throw e;
                }
            }
        }
    }
}
