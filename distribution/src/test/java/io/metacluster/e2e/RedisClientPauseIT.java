package io.metacluster.e2e;

import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CLIENT PAUSE and CLIENT UNPAUSE through the daemon hold the proxy's own clients (of the
 * listener, on both I/O threads) as a redis-server 7.0 holds its own: which commands a WRITE
 * pause holds, the errors, each client's order, and the backends never paused. Each case is
 * sent to the daemon and to a paused redis-server of its own alike and the bytes compared; the
 * three clusters hold identical data after each test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisClientPauseIT extends TwoLoopsAndAReference {
    @AfterEach
    void unpaused() {
        for (int p : new int[]{port, reference.port()}) {
            try (Wire w = new Wire(p)) {
                w.send("CLIENT", "UNPAUSE");
                w.awaitBytes(5, 10_000); // an ALL pause holds UNPAUSE too: it is answered when the pause ends
            }
        }
        reference.call("FLUSHALL");
    }

    @Test
    void errorsAreRedisOwn() {
        List<String[]> requests = List.of(new String[]{"CLIENT", "PAUSE", "abc"}, new String[]{"CLIENT", "PAUSE", "-1"},
                new String[]{"CLIENT", "PAUSE", "99999999999999999999"}, new String[]{"CLIENT", "PAUSE", "10", "foo"},
                new String[]{"CLIENT", "PAUSE", "abc", "foo"}, new String[]{"CLIENT", "PAUSE", "10", "write", "x"},
                new String[]{"CLIENT", "PAUSE"}, new String[]{"CLIENT", "UNPAUSE", "x"}, new String[]{"CLIENT", "PAUSE", "0"},
                new String[]{"CLIENT", "PAUSE", "0", "WRITE"}, new String[]{"CLIENT", "PAUSE", "9223372036854775807"},
                new String[]{"CLIENT", "PAUSE", ""}, new String[]{"CLIENT", "UNPAUSE"});
        try (Wire proxied = new Wire(port); Wire redis = new Wire(reference.port())) {
            for (String[] request : requests) {
                String theirs = redis.call(request);
                assertThat(proxied.call(request)).as(String.join(" ", request)).isEqualTo(theirs);
            }
            assertThat(proxied.call("PING")).as("none of them paused").isEqualTo("+PONG\r\n");
        }
    }

    /**
     * Each case on a fresh connection to both, while both are paused for writes: what was answered
     * before the pause ended, and what after, byte for byte.
     */
    @Test
    void aWritePauseHoldsWhatRedisHolds() {
        List<List<String[]>> cases = List.of(
                List.<String[]>of(new String[]{"GET", "k"}, new String[]{"PING"}, new String[]{"EXISTS", "k"}),
                List.<String[]>of(new String[]{"SET", "k", "v"}),
                List.<String[]>of(new String[]{"GET", "k"}, new String[]{"SET", "k", "v"}, new String[]{"GET", "k"}),
                List.<String[]>of(new String[]{"PUBLISH", "ch", "m"}),
                List.<String[]>of(new String[]{"PFCOUNT", "h"}),
                List.<String[]>of(new String[]{"EVAL", "return 1", "0"}),
                List.<String[]>of(new String[]{"EVAL", "#!lua flags=no-writes\nreturn 2", "0"}),
                List.<String[]>of(new String[]{"EVAL_RO", "return 3", "0"}),
                List.<String[]>of(new String[]{"INCR", "n"}, new String[]{"GET"}, new String[]{"INCR", "n"}),
                List.<String[]>of(new String[]{"GET"}, new String[]{"NOSUCHCOMMAND"}),
                List.<String[]>of(new String[]{"MULTI"}, new String[]{"GET", "k"}, new String[]{"SET", "k", "w"},
                        new String[]{"EXEC"}),
                List.<String[]>of(new String[]{"MULTI"}, new String[]{"GET", "k"}, new String[]{"EXEC"}),
                List.<String[]>of(new String[]{"LPUSH", "l", "a"}, new String[]{"LPOP", "l"}, new String[]{"DEL", "l"}),
                List.<String[]>of(new String[]{"SUBSCRIBE", "ch"}, new String[]{"UNSUBSCRIBE", "ch"}),
                List.<String[]>of(new String[]{"SELECT", "1"}, new String[]{"SET", "k1", "v"}, new String[]{"GET", "k1"},
                        new String[]{"DEL", "k1"}, new String[]{"SELECT", "0"}));
        for (List<String[]> pipeline : cases) {
            String what = pipeline.stream().map(words -> String.join(" ", words)).toList().toString();
            String[] theirs = pausedExchange(reference.port(), pipeline, null);
            String[] ours = pausedExchange(port, pipeline, theirs[0]);
            assertThat(ours[0]).as("answered while paused: " + what).isEqualTo(theirs[0]);
            assertThat(ours[1]).as("answered after: " + what).isEqualTo(theirs[1]);
        }
    }

    /** An ALL pause holds every client of the listener, on both I/O threads, the pausing one too, until it ends. */
    @Test
    void anAllPauseHoldsEveryClientUntilItsTimeout() {
        List<Wire> clients = new ArrayList<>();
        try (Wire pauser = new Wire(port)) {
            for (int i = 0; i < 4; i++) {
                clients.add(new Wire(port));
            }
            assertThat(pauser.call("CLIENT", "PAUSE", "1500", "ALL")).isEqualTo("+OK\r\n");
            long started = System.nanoTime();
            pauser.send("PING");
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).send("SET", "all" + i, "v" + i);
                clients.get(i).send("GET", "all" + i);
            }
            assertThat(pauser.readFor(500)).as("the pausing client itself").isEmpty();
            for (Wire client : clients) {
                assertThat(client.readFor(50)).isEmpty();
            }
            assertThat(pauser.awaitBytes(7, 10_000)).isEqualTo("+PONG\r\n");
            for (int i = 0; i < clients.size(); i++) {
                String expected = "+OK\r\n$" + ("v" + i).length() + "\r\nv" + i + "\r\n";
                assertThat(clients.get(i).awaitBytes(expected.length(), 10_000)).isEqualTo(expected);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).as("held until the end").isGreaterThanOrEqualTo(1300);
        } finally {
            clients.forEach(Wire::close);
        }
    }

    /** UNPAUSE from another client lets a long pipeline go at once, in its order; reads before the first write were answered. */
    @Test
    void unpauseLetsEveryHeldPipelineGoInOrder() {
        int count = 500; // 20 KiB: more than the read that brought the held command; the rest is decoded and read after
        try (Jedis control = proxy(); Wire writer = new Wire(port); Wire other = new Wire(port)) {
            assertThat(control.clientPause(60_000, ClientPauseMode.WRITE)).isEqualTo("OK");
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            pipeline.writeBytes(RespClient.encode("GET", "n"));
            StringBuilder expected = new StringBuilder();
            for (int i = 1; i <= count; i++) {
                pipeline.writeBytes(RespClient.encode("INCR", "n"));
                pipeline.writeBytes(RespClient.encode("GET", "n"));
                expected.append(':').append(i).append("\r\n$").append(Integer.toString(i).length()).append("\r\n")
                        .append(i).append("\r\n");
            }
            writer.writeRaw(pipeline.toByteArray());
            other.send("SET", "x", "1");
            assertThat(writer.awaitBytes(5, 10_000)).as("the read before the first write").isEqualTo("$-1\r\n");
            assertThat(writer.readFor(300)).isEmpty();
            assertThat(other.readFor(50)).isEmpty();
            assertThat(control.get("n")).as("reads of other clients pass").isNull();
            long unpaused = System.nanoTime();
            assertThat(control.clientUnpause()).isEqualTo("OK");
            assertThat(writer.awaitBytes(expected.length(), 30_000)).isEqualTo(expected.toString());
            assertThat(other.awaitBytes(5, 10_000)).isEqualTo("+OK\r\n");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - unpaused)).as("not the pause's timeout").isLessThan(20_000);
            assertThat(control.get("n")).isEqualTo(Integer.toString(count));
        }
    }

    /** The backends are not paused: their other clients are none of the proxy's. */
    @Test
    void thePauseDoesNotReachTheBackends() {
        try (Wire pauser = new Wire(port); Jedis backend = direct(backends.all.get(0))) {
            assertThat(pauser.call("CLIENT", "PAUSE", "1000", "ALL")).isEqualTo("+OK\r\n");
            long started = System.nanoTime();
            assertThat(backend.ping()).isEqualTo("PONG");
            assertThat(backend.dbSize()).isZero();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(900);
        }
    }

    /** A client that leaves while its command is held: the command is dropped, as Redis drops a closed client's. */
    @Test
    void aHeldClientThatLeavesIsForgotten() throws Exception {
        try (Jedis control = proxy()) {
            control.clientPause(60_000, ClientPauseMode.WRITE);
            try (Wire leaving = new Wire(port)) {
                leaving.send("SET", "gone", "1");
                assertThat(leaving.readFor(200)).isEmpty();
            }
            Thread.sleep(200);
            control.clientUnpause();
            Thread.sleep(200);
            assertThat(control.exists("gone")).isFalse();
            assertThat(control.set("here", "1")).isEqualTo("OK");
        }
    }

    /**
     * Pauses the server at {@code port} for writes, sends {@code pipeline} on a fresh connection,
     * and returns what was answered while paused and what after UNPAUSE. {@code expectedWhilePaused}
     * (the reference's) lets a slow daemon answer what it should within a few seconds.
     */
    private static String[] pausedExchange(int port, List<String[]> pipeline, String expectedWhilePaused) {
        try (Wire control = new Wire(port); Wire client = new Wire(port)) {
            assertThat(control.call("CLIENT", "PAUSE", "60000", "WRITE")).isEqualTo("+OK\r\n");
            for (String[] words : pipeline) {
                client.send(words);
            }
            String before = expectedWhilePaused == null || expectedWhilePaused.isEmpty() ? client.readFor(500)
                    : client.awaitBytes(expectedWhilePaused.length(), 5_000) + client.readFor(300);
            assertThat(control.call("CLIENT", "UNPAUSE")).isEqualTo("+OK\r\n");
            String after = client.readFor(700);
            return new String[]{before, after};
        }
    }
}
