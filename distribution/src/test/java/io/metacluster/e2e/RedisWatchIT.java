package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static io.metacluster.e2e.RedisProxyIT.resp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * WATCH ... MULTI ... EXEC through the daemon and three clusters: the transaction runs on the read
 * cluster on a connection of the client's own; only an EXEC that ran is applied to the others, as
 * one block; every cluster ends up holding the same data.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisWatchIT extends ThreeRedisClusters {
    @Test
    void anExecThatRunsIsAppliedEverywhere() {
        try (Jedis client = proxy()) {
            client.set("balance", "10");
            client.watch("balance");
            int balance = Integer.parseInt(client.get("balance"));
            Transaction multi = client.multi();
            multi.set("balance", Integer.toString(balance - 3));
            multi.rpush("log", "-3");
            multi.get("balance");
            multi.spop("nothing");
            assertThat(multi.exec()).containsExactly("OK", 1L, "7", null);
            assertThat(client.get("balance")).as("the connection works after it").isEqualTo("7");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("balance")).isEqualTo("7");
                assertThat(direct.lrange("log", 0, -1)).containsExactly("-3");
            }
        }
    }

    @Test
    void anExecAbortedByAnotherClientsWriteAppliesNothing() {
        try (Jedis client = proxy(); Jedis other = proxy()) {
            client.set("k", "1");
            client.watch("k");
            other.set("k", "2");
            Transaction multi = client.multi();
            multi.set("k", "3");
            multi.set("side", "effect");
            assertThat(multi.exec()).as("nil: a watched key changed").isNull();
            assertThat(client.get("k")).isEqualTo("2");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("k")).isEqualTo("2");
                assertThat(direct.exists("side")).isFalse();
            }
        }
    }

    @Test
    void writesWhileWatchingAndNonDeterministicCommandsInsideAreAppliedAsTheirEffects() {
        try (Jedis client = proxy()) {
            client.sadd("set", "a", "b", "c", "d");
            client.watch("guard"); // the client's own writes to a watched key would abort its EXEC, as in Redis
            client.set("plain", "x");
            String popped = client.spop("set");
            Transaction multi = client.multi();
            multi.spop("set");
            multi.incrByFloat("f", 1.5);
            multi.xadd("s", redis.clients.jedis.StreamEntryID.NEW_ENTRY, java.util.Map.of("f", "v"));
            List<Object> results = multi.exec();
            assertThat(results).hasSize(3);
            assertThat(results.get(0)).isNotEqualTo(popped);
        }
    }

    @Test
    void unwatchAndDiscardEndThePinningAndEverythingPipelinedAfterKeepsItsOrder() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            String request = resp("WATCH", "k") + resp("SET", "k", "1") + resp("UNWATCH") + resp("SET", "k", "2")
                    + resp("WATCH", "k") + resp("MULTI") + resp("SET", "k", "3") + resp("DISCARD") + resp("GET", "k")
                    + resp("EXEC") + resp("PING");
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            String expected = "+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n+OK\r\n$1\r\n2\r\n"
                    + "-ERR EXEC without MULTI\r\n+PONG\r\n";
            byte[] reply = socket.getInputStream().readNBytes(expected.length());
            assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo(expected);
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("k")).isEqualTo("2");
            }
        }
    }

    @Test
    void aWatchInsideMultiIsRefusedAsRedisDoes() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((resp("MULTI") + resp("WATCH", "k") + resp("DISCARD"))
                    .getBytes(StandardCharsets.UTF_8));
            String expected = "+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+OK\r\n";
            assertThat(new String(socket.getInputStream().readNBytes(expected.length()), StandardCharsets.UTF_8))
                    .isEqualTo(expected);
        }
    }

    @Test
    void aClientsOwnWriteToAWatchedKeyAbortsItsExecAsInRedis() {
        try (Jedis client = proxy()) {
            client.watch("k");
            client.set("k", "mine");
            Transaction multi = client.multi();
            multi.set("k", "tx");
            assertThat(multi.exec()).isNull();
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("k")).isEqualTo("mine");
            }
        }
    }
}
