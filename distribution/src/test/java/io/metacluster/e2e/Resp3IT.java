package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static io.metacluster.e2e.RedisProxyIT.resp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RESP3 and SELECT through the daemon and three clusters: a client's HELLO 3 and SELECT n travel
 * to the backends as the lane of its requests, so replies are the server's own RESP3 bytes and
 * writes land in the client's database on every cluster.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class Resp3IT {
    @AutoClose
    static RedisBackends backends;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        port = FreePorts.find();
        backends = RedisBackends.start("""
                backend: { connect-timeout-ms: 500, reconnect-min-ms: 50, reconnect-max-ms: 200 }
                replay: { dir: "" }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                """.formatted(port));
    }

    @BeforeEach
    void healthy() throws InterruptedException {
        backends.healthyAndEmpty();
    }

    /** Every request of {@code requests}, one at a time, with the reply's exact bytes. */
    private static List<String> exchange(RespClient client, List<String[]> requests) {
        List<String> replies = new ArrayList<>();
        for (String[] request : requests) {
            client.writeRaw(resp(request).getBytes(StandardCharsets.UTF_8));
            replies.add(client.readRaw());
        }
        return replies;
    }

    private static String idOf(String helloReply) {
        int at = helloReply.indexOf("$2\r\nid\r\n:") + 9;
        return helloReply.substring(at, helloReply.indexOf('\r', at));
    }

    @Test
    void helloThreeAnswersAsTheServerWithTheProxysIdThenHelloTwoGoesBack() {
        try (RespClient proxy = RespClient.connect(port); RespClient server = backends.dc1.client()) {
            List<String[]> hellos = List.of(new String[]{"HELLO", "3"}, new String[]{"HELLO"}, new String[]{"HELLO", "2"});
            List<String> viaProxy = exchange(proxy, hellos);
            List<String> direct = exchange(server, hellos);
            for (int i = 0; i < hellos.size(); i++) {
                String expected = direct.get(i).replace("id\r\n:" + idOf(direct.get(i)) + "\r\n", "id\r\n:" + idOf(viaProxy.get(i)) + "\r\n");
                assertThat(viaProxy.get(i)).as(String.join(" ", hellos.get(i))).isEqualTo(expected);
            }
            assertThat(viaProxy.get(0)).startsWith("%7\r\n");
            assertThat(viaProxy.get(2)).startsWith("*14\r\n");
        }
    }

    /** Writes and reads covering each RESP3 type a Redis 7.0 reply can have (attributes aside: none sends them). */
    private static final List<String[]> EVERY_TYPE = List.of(
            new String[]{"HELLO", "3"},
            new String[]{"SET", "s", "v"}, new String[]{"GET", "s"}, new String[]{"GET", "missing"},
            new String[]{"HSET", "h", "f1", "v1", "f2", "v2"}, new String[]{"HGETALL", "h"}, new String[]{"HGETALL", "missing"},
            new String[]{"SADD", "set", "a"}, new String[]{"SMEMBERS", "set"},
            new String[]{"ZADD", "z", "1.5", "m", "2", "n"}, new String[]{"ZSCORE", "z", "m"},
            new String[]{"ZRANGE", "z", "0", "-1", "WITHSCORES"}, new String[]{"ZPOPMIN", "z"},
            new String[]{"XADD", "x", "1-1", "f", "v"}, new String[]{"XRANGE", "x", "-", "+"}, new String[]{"XINFO", "STREAM", "x"},
            new String[]{"LPOS", "nosuch", "a"}, new String[]{"INCR", "s"},
            new String[]{"EVAL", "redis.setresp(3); return {big_number='1234567890123456789012345678901234567890'}", "1", "s"},
            new String[]{"EVAL", "redis.setresp(3); return {double=3.5}", "1", "s"},
            new String[]{"EVAL", "redis.setresp(3); return {map={a=1}}", "1", "s"},
            new String[]{"EVAL", "redis.setresp(3); return {set={a=true}}", "1", "s"},
            new String[]{"EVAL", "redis.setresp(3); return {verbatim_string={format='txt', string='hi'}}", "1", "s"},
            new String[]{"EVAL", "redis.setresp(3); return true", "1", "s"},
            new String[]{"EVAL", "redis.setresp(3); return nil", "1", "s"},
            new String[]{"EVAL_RO", "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "1", "h"},
            new String[]{"MULTI"}, new String[]{"GET", "missing"}, new String[]{"HGETALL", "h"}, new String[]{"EXEC"},
            new String[]{"CLIENT", "GETNAME"}, new String[]{"PING"});

    @Test
    void everyResp3ReplyTypeIsTheServersOwnBytes() {
        List<String> viaProxy;
        try (RespClient proxy = RespClient.connect(port)) {
            viaProxy = exchange(proxy, EVERY_TYPE);
        }
        backends.empty();
        List<String> direct;
        try (RespClient server = backends.dc1.client()) {
            direct = exchange(server, EVERY_TYPE);
        }
        for (int i = 1; i < EVERY_TYPE.size(); i++) {
            assertThat(viaProxy.get(i)).as(String.join(" ", EVERY_TYPE.get(i))).isEqualTo(direct.get(i));
        }
        assertThat(String.join("", viaProxy)).contains("%2\r\n", "~1\r\n", ",3.5\r\n", "(1234", "=6\r\ntxt:hi", "#t\r\n", "_\r\n");
    }

    @Test
    void aResp3SubscriberGetsPushesAndMayRunOtherCommands() {
        try (RespClient subscriber = RespClient.connect(port); RespClient publisher = RespClient.connect(port)) {
            subscriber.writeRaw(resp("HELLO", "3").getBytes(StandardCharsets.UTF_8));
            subscriber.readRaw();
            subscriber.writeRaw(resp("SUBSCRIBE", "news").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo(">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
            // RESP2 refuses this while subscribed; RESP3 runs it
            subscriber.writeRaw(resp("SET", "k", "v").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo("+OK\r\n");
            subscriber.writeRaw(resp("GET", "k").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo("$1\r\nv\r\n");
            assertThat(publisher.call("PUBLISH", "news", "hello")).isEqualTo(1L);
            assertThat(subscriber.readRaw()).isEqualTo(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
            subscriber.writeRaw(resp("UNSUBSCRIBE", "news").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo(">3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n");
            subscriber.writeRaw(resp("HGETALL", "nothing").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo("%0\r\n");
            // RESET while subscribed goes to the subscribed connection; the client is back to RESP2 all the same
            subscriber.writeRaw(resp("SUBSCRIBE", "news").getBytes(StandardCharsets.UTF_8));
            subscriber.readRaw();
            subscriber.writeRaw(resp("RESET").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo("+RESET\r\n");
            subscriber.writeRaw(resp("HGETALL", "nothing").getBytes(StandardCharsets.UTF_8));
            assertThat(subscriber.readRaw()).isEqualTo("*0\r\n");
        }
        for (RedisServer server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.get("k")).isEqualTo("v");
            }
        }
    }

    @Test
    void helloWithSetnameAndAuthInEitherOrder() {
        try (RespClient proxy = RespClient.connect(port)) {
            proxy.writeRaw(resp("HELLO", "3", "SETNAME", "app1", "AUTH", "default", "any").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).startsWith("%7\r\n").contains("proto\r\n:3\r\n");
            proxy.writeRaw(resp("CLIENT", "GETNAME").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).isEqualTo("$4\r\napp1\r\n");
            proxy.writeRaw(resp("HELLO", "3", "AUTH", "default", "any", "SETNAME", "app2").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).startsWith("%7\r\n");
            proxy.writeRaw(resp("CLIENT", "GETNAME").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).isEqualTo("$4\r\napp2\r\n");
            proxy.writeRaw(resp("HELLO", "3", "AUTH", "nobody", "x").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).startsWith("-WRONGPASS");
        }
    }

    @Test
    void selectNineWritesLandInDatabaseNineOnEveryCluster() throws Exception {
        try (RespClient proxy = RespClient.connect(port)) {
            assertThat(proxy.call("SELECT", "9")).isEqualTo("OK");
            assertThat(proxy.call("SET", "k", "nine")).isEqualTo("OK");
            assertThat(proxy.call("RPUSH", "l", "a", "b")).isEqualTo(2L);
            assertThat(proxy.call("GET", "k")).isEqualTo("nine");
            proxy.writeRaw(resp("SELECT", "16").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).isEqualTo("-ERR DB index is out of range\r\n");
            assertThat(proxy.call("SELECT", "0")).isEqualTo("OK");
            assertThat(proxy.call("GET", "k")).isNull();
            assertThat(proxy.call("SET", "k", "zero")).isEqualTo("OK");
            assertThat(proxy.call("SELECT", "9")).isEqualTo("OK");
            // MOVE, and FLUSHDB on the client's database only
            assertThat(proxy.call("SET", "moving", "m")).isEqualTo("OK");
            assertThat(proxy.call("MOVE", "moving", "3")).isEqualTo(1L);
            assertThat(proxy.call("SET", "gone", "g")).isEqualTo("OK");
        }
        for (RedisServer server : backends.all) {
            try (Jedis direct = direct(server)) {
                awaitKey(direct, 9, "gone");
                direct.select(9);
                assertThat(direct.get("k")).as("db 9 of %s", server.address()).isEqualTo("nine");
                assertThat(direct.lrange("l", 0, -1)).containsExactly("a", "b");
                assertThat(direct.exists("moving")).isFalse();
                direct.select(3);
                assertThat(direct.get("moving")).isEqualTo("m");
                direct.select(0);
                assertThat(direct.get("k")).isEqualTo("zero");
            }
        }
        try (RespClient proxy = RespClient.connect(port)) {
            assertThat(proxy.call("SELECT", "9")).isEqualTo("OK");
            assertThat(proxy.call("FLUSHDB")).isEqualTo("OK");
        }
        for (RedisServer server : backends.all) {
            try (Jedis direct = direct(server)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                direct.select(9);
                while (direct.dbSize() != 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(direct.dbSize()).isZero();
                direct.select(0);
                assertThat(direct.get("k")).isEqualTo("zero");
            }
        }
    }

    @Test
    void jedisInResp3ModeWithADatabase() throws Exception {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3)
                .database(9).clientName("resp3-app").timeoutMillis(10_000).build();
        try (Jedis jedis = new Jedis(new HostAndPort("127.0.0.1", port), config)) {
            assertThat(jedis.clientGetname()).isEqualTo("resp3-app");
            assertThat(jedis.hset("h", Map.of("f", "v", "g", "w"))).isEqualTo(2L);
            assertThat(jedis.hgetAll("h")).isEqualTo(Map.of("f", "v", "g", "w"));
            assertThat(jedis.sadd("s", "a", "b")).isEqualTo(2L);
            assertThat(jedis.smembers("s")).isEqualTo(Set.of("a", "b"));
            assertThat(jedis.zadd("z", 2.5, "m")).isEqualTo(1L);
            assertThat(jedis.zscore("z", "m")).isEqualTo(2.5);
            assertThat(jedis.get("missing")).isNull();
            assertThat(jedis.incrByFloat("f", 1.5)).isEqualTo(1.5);
        }
        for (RedisServer server : backends.all) {
            try (Jedis direct = direct(server)) {
                awaitKey(direct, 9, "f");
                direct.select(9);
                assertThat(direct.hgetAll("h")).isEqualTo(Map.of("f", "v", "g", "w"));
                assertThat(direct.zscore("z", "m")).isEqualTo(2.5);
                direct.select(0);
                assertThat(direct.dbSize()).isZero();
            }
        }
    }

    @Test
    void aDatabaseNineWriteMissedInAnOutageIsReplayedIntoDatabaseNine() throws Exception {
        backends.dc2.stop();
        try (RespClient proxy = RespClient.connect(port)) {
            assertThat(proxy.call("SELECT", "9")).isEqualTo("OK");
            for (int i = 0; i < 20; i++) {
                assertThat(proxy.call("SET", "r" + i, "v" + i)).isEqualTo("OK");
            }
            assertThat(proxy.call("SELECT", "0")).isEqualTo("OK");
            assertThat(proxy.call("SET", "zero", "z")).isEqualTo("OK");
        }
        backends.dc2.restart();
        backends.daemon.awaitHealthy();
        try (Jedis direct = direct(backends.dc2)) {
            awaitKey(direct, 0, "zero");
            direct.select(9);
            for (int i = 0; i < 20; i++) {
                assertThat(direct.get("r" + i)).as("r%d in db 9", i).isEqualTo("v" + i);
            }
            direct.select(0);
            assertThat(direct.exists("r0")).isFalse();
        }
    }

    /**
     * With {@code database: 5}, SELECT n works in database 5 + n; a database past the server's
     * last (5 + 11 = 16 of 16) cannot be connected to: its requests fail, they do not hang.
     */
    @Test
    void aClustersDatabaseIsTheBaseOfTheClientsAndOneOutOfTheServersRangeFails() throws Exception {
        int basePort = FreePorts.find();
        try (Daemon daemon = Daemon.start("""
                backend: { connect-timeout-ms: 500 }
                replay: { dir: "" }
                listeners:
                  - { name: based, protocol: redis, bind: "127.0.0.1:%d", clusters: [dc1] }
                clusters:
                  - { name: dc1, local: true, nodes: ["%s"], database: 5 }
                """.formatted(basePort, backends.dc1.address()));
             RespClient proxy = RespClient.connect(basePort);
             Jedis direct = direct(backends.dc1)) {
            assertThat(proxy.call("SET", "b", "five")).isEqualTo("OK");
            assertThat(proxy.call("SELECT", "2")).isEqualTo("OK");
            assertThat(proxy.call("SET", "b", "seven")).isEqualTo("OK");
            direct.select(5);
            assertThat(direct.get("b")).isEqualTo("five");
            direct.select(7);
            assertThat(direct.get("b")).isEqualTo("seven");
            assertThat(proxy.call("SELECT", "11")).isEqualTo("OK");
            proxy.writeRaw(resp("GET", "b").getBytes(StandardCharsets.UTF_8));
            assertThat(proxy.readRaw()).startsWith("-ERR ");
            assertThat(proxy.call("SELECT", "0")).isEqualTo("OK");
            assertThat(proxy.call("GET", "b")).isEqualTo("five");
        }
    }

    /** Writes reach the slower clusters a little after the client's reply: waits, boundedly, for {@code key} in {@code db}. */
    private static void awaitKey(Jedis direct, int db, String key) throws InterruptedException {
        direct.select(db);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!direct.exists(key) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(direct.exists(key)).as("%s in db %d", key, db).isTrue();
        direct.select(0);
    }
}
