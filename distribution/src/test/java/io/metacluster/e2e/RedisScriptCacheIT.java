package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisNoScriptException;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * EVALSHA when a cluster lost its script cache (restarted, flushed, resynchronised): the proxy has
 * seen the script (SCRIPT LOAD, EVAL) and every cluster runs it, so the copies stay equal and the
 * client sees the reply of a server that has the script.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisScriptCacheIT extends ThreeRedisClusters {
    @Test
    void anEvalshaRunsOnAClusterWhoseScriptCacheWasFlushed() {
        String script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])";
        try (Jedis client = proxy()) {
            String sha = client.scriptLoad(script);
            try (Jedis dc2 = direct(backends.all.get(1))) {
                dc2.scriptFlush(); // as if restarted
                assertThat(dc2.scriptExists(sha)).isFalse();
            }
            assertThat(client.evalsha(sha, List.of("k", "n"), List.of("v"))).isEqualTo(1L);
            assertThat(client.evalsha(sha, List.of("k", "n"), List.of("w"))).isEqualTo(2L);
            Transaction multi = client.multi();
            multi.evalsha(sha, List.of("k2", "n"), List.of("x"));
            assertThat(multi.exec()).containsExactly(3L);
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("k")).isEqualTo("w");
                assertThat(direct.get("k2")).isEqualTo("x");
                assertThat(direct.get("n")).isEqualTo("3");
            }
        }
    }

    @Test
    void anEvalTeachesTheProxyItsScriptAndEvalshaRoReadsAnywhere() {
        String script = "return redis.call('GET', KEYS[1]) .. '-' .. ARGV[1] .. '-eval-learned'";
        try (Jedis client = proxy()) {
            client.set("r", "value");
            assertThat(client.eval(script, List.of("r"), List.of("a"))).isEqualTo("value-a-eval-learned");
            for (var server : backends.all) {
                try (Jedis direct = direct(server)) {
                    direct.scriptFlush();
                }
            }
            String sha = client.scriptLoad(script); // any cluster's answer: the SHA1 of the body
            assertThat(client.evalshaReadonly(sha, List.of("r"), List.of("b"))).isEqualTo("value-b-eval-learned");
        }
    }

    @Test
    void scriptFlushThroughTheProxyAndUnknownScriptsGetNoscriptAsFromOneServer() {
        String script = "return 'flushed-" + System.nanoTime() + "'";
        try (Jedis client = proxy()) {
            String sha = client.scriptLoad(script);
            assertThat(client.evalsha(sha)).asString().startsWith("flushed-");
            client.scriptFlush();
            assertThatThrownBy(() -> client.evalsha(sha)).isInstanceOf(JedisNoScriptException.class)
                    .hasMessage("NOSCRIPT No matching script. Please use EVAL.");
            assertThatThrownBy(() -> client.evalsha("0123456789012345678901234567890123456789"))
                    .isInstanceOf(JedisNoScriptException.class);
            assertThat(client.ping()).isEqualTo("PONG");
        }
    }
}
