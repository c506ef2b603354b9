package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The daemon in front of three real redis-server processes ("clusters"; dc1 is local), driven by
 * Jedis and by raw sockets.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisProxyIT {
    static RedisBackends backends;
    static RedisServer dc1;
    static RedisServer dc2;
    static RedisServer dc3;
    static Daemon daemon;
    static int port;

    @TempDir
    static Path replayDir;

    @BeforeAll
    static void start() throws Exception {
        port = FreePorts.find();
        backends = RedisBackends.start("""
                backend:
                  reconnect-min-ms: 50
                  reconnect-max-ms: 300
                replay:
                  dir: %s
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                """.formatted(replayDir, port));
        dc1 = backends.dc1;
        dc2 = backends.dc2;
        dc3 = backends.dc3;
        daemon = backends.daemon;
    }

    @AfterAll
    static void stop() {
        if (backends != null) {
            backends.close();
        }
    }

    @BeforeEach
    void emptyClusters() throws InterruptedException {
        // a test that stopped a cluster must not leave it half-reconnected for the next one
        backends.healthyAndEmpty();
    }

    static Jedis proxy() {
        return new Jedis("127.0.0.1", port, 10_000);
    }

    @Test
    void aWriteLandsOnEveryCluster() throws Exception {
        try (Jedis client = proxy()) {
            assertThat(client.set("greeting", "hello")).isEqualTo("OK");
            assertThat(client.hset("h", "f", "v")).isEqualTo(1);
            assertThat(client.rpush("list", "a", "b", "c")).isEqualTo(3);
        }
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            try (Jedis direct = direct(server)) {
                awaitValue(direct, "greeting", "hello");
                assertThat(direct.hget("h", "f")).isEqualTo("v");
                assertThat(direct.lrange("list", 0, -1)).containsExactly("a", "b", "c");
            }
        }
    }

    @Test
    void readsAreServedByTheLocalCluster() {
        setDirectly("where", "local", "remote2", "remote3");
        try (Jedis client = proxy()) {
            for (int i = 0; i < 200; i++) {
                assertThat(client.get("where")).isEqualTo("local");
            }
        }
    }

    @Test
    void localClusterDownReadsGoRemoteThenComeBackWhenItRestarts() throws Exception {
        setDirectly("where", "local", "remote", "remote");
        try (Jedis client = proxy()) {
            assertThat(client.get("where")).isEqualTo("local");
            dc1.stop();
            for (int i = 0; i < 200; i++) {
                assertThat(client.get("where")).isEqualTo("remote");
            }
            assertThat(client.set("during-outage", "x")).isEqualTo("OK");
            assertThat(daemon.engine.metrics().counter("cluster.dc1.writes-missed").getCount()).isPositive();

            dc1.restart();
            try (Jedis direct = direct(dc1)) {
                direct.set("where", "local again");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            String seen = client.get("where");
            while (!"local again".equals(seen) && System.nanoTime() < deadline) {
                assertThat(seen).isEqualTo("remote");
                Thread.sleep(20);
                seen = client.get("where");
            }
            assertThat(seen).isEqualTo("local again");
        }
        try (Jedis direct = direct(dc1)) {
            assertThat(direct.get("during-outage")).as("the write dc1 missed was replayed before it served reads").isEqualTo("x");
        }
        assertThat(daemon.engine.metrics().counter("cluster.dc1.replay.replayed").getCount()).isPositive();
    }

    @Test
    void tenThousandPipelinedCommandsComeBackInOrder() {
        try (Jedis client = proxy()) {
            Pipeline pipeline = client.pipelined();
            List<Response<?>> responses = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                switch (i % 4) {
                    case 0 -> responses.add(pipeline.set("p" + i, "v" + i));
                    case 1 -> responses.add(pipeline.get("p" + (i - 1)));
                    case 2 -> responses.add(pipeline.incr("counter"));
                    default -> responses.add(pipeline.append("log", "e" + i));
                }
            }
            pipeline.sync();
            long counter = 0;
            long logLength = 0;
            for (int i = 0; i < 10_000; i++) {
                Object value = responses.get(i).get();
                switch (i % 4) {
                    case 0 -> assertThat(value).isEqualTo("OK");
                    case 1 -> assertThat(value).isEqualTo("v" + (i - 1));
                    case 2 -> assertThat(value).isEqualTo(++counter);
                    default -> {
                        logLength += ("e" + i).length();
                        assertThat(value).as("reply %d", i).isEqualTo(logLength);
                    }
                }
            }
        }
    }

    @Test
    void fiftyConcurrentClients() throws Exception {
        List<Callable<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 50; c++) {
            int clientNo = c;
            clients.add(() -> {
                try (Jedis client = proxy()) {
                    for (int i = 0; i < 200; i++) {
                        String key = "c" + clientNo + ":" + i;
                        assertThat(client.set(key, key + "-value")).isEqualTo("OK");
                        assertThat(client.get(key)).isEqualTo(key + "-value");
                    }
                }
                return null;
            });
        }
        runConcurrently(clients);
        try (Jedis direct = direct(dc3)) {
            awaitValue(direct, "c49:199", "c49:199-value");
            assertThat(direct.dbSize()).isEqualTo(50 * 200);
        }
    }

    @Test
    void binarySafeValuesAndAOneMegabyteValueRoundTrip() throws Exception {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < 256; i++) {
            everyByte[i] = (byte) i;
        }
        byte[] big = new byte[1024 * 1024];
        new Random(7).nextBytes(big);
        byte[] binaryKey = "key\r\n\0with\u00ffbytes".getBytes(StandardCharsets.ISO_8859_1);
        try (Jedis client = proxy()) {
            assertThat(client.set(binaryKey, everyByte)).isEqualTo("OK");
            assertThat(client.set("big".getBytes(), big)).isEqualTo("OK");
            assertThat(client.get(binaryKey)).isEqualTo(everyByte);
            assertThat(client.get("big".getBytes())).isEqualTo(big);
        }
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            try (Jedis direct = direct(server)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (direct.get("big".getBytes()) == null && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(direct.get("big".getBytes())).isEqualTo(big);
                assertThat(direct.get(binaryKey)).isEqualTo(everyByte);
            }
        }
    }

    @Test
    void aClientThatDisconnectsMidPipelineDoesNotDisturbOthers() throws Exception {
        try (Jedis steady = proxy()) {
            for (int round = 0; round < 20; round++) {
                try (Socket rude = new Socket("127.0.0.1", port)) {
                    OutputStream out = rude.getOutputStream();
                    StringBuilder batch = new StringBuilder();
                    for (int i = 0; i < 500; i++) {
                        batch.append(resp("SET", "rude" + i, "x".repeat(100))).append(resp("GET", "rude" + i));
                    }
                    out.write(batch.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                assertThat(steady.set("steady" + round, "ok")).isEqualTo("OK");
                assertThat(steady.get("steady" + round)).isEqualTo("ok");
            }
        }
    }

    @Test
    void pingEchoAndInlineCommandsAreAnsweredByTheProxy() throws Exception {
        try (Jedis client = proxy()) {
            assertThat(client.ping()).isEqualTo("PONG");
            assertThat(client.echo("hi")).isEqualTo("hi");
        }
        assertThat(raw("PING\r\n", 7)).isEqualTo("+PONG\r\n");
        assertThat(raw(resp("PING", "x y"), 9)).isEqualTo("$3\r\nx y\r\n");
    }

    @Test
    void aTransactionRunsOnEveryClusterAndAnswersWithItsExecReply() throws Exception {
        try (Jedis client = proxy()) {
            Transaction tx = client.multi();
            Response<String> set = tx.set("tx:k", "v1");
            Response<Long> incr = tx.incr("tx:n");
            Response<String> get = tx.get("tx:k");
            Response<Long> wrongType = tx.incr("tx:k");
            List<Object> results = tx.exec();
            assertThat(results).hasSize(4);
            assertThat(set.get()).isEqualTo("OK");
            assertThat(incr.get()).isEqualTo(1L);
            assertThat(get.get()).isEqualTo("v1");
            assertThatThrownBy(wrongType::get).as("a runtime error stays inside EXEC's array")
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("not an integer");

            Transaction discarded = client.multi();
            discarded.set("tx:discarded", "x");
            assertThat(discarded.discard()).isEqualTo("OK");
            assertThat(client.get("tx:discarded")).isNull();
        }
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            try (Jedis direct = direct(server)) {
                awaitValue(direct, "tx:n", "1");
                assertThat(direct.get("tx:k")).isEqualTo("v1");
            }
        }
    }

    @Test
    void transactionsNeverCaptureOtherClientsCommands() throws Exception {
        // the backend connections are shared: a MULTI forwarded alone would queue the others' commands
        List<Callable<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            int clientNo = c;
            clients.add(() -> {
                try (Jedis client = proxy()) {
                    for (int i = 0; i < 300; i++) {
                        Transaction tx = client.multi();
                        tx.rpush("tx:list" + clientNo, "a" + i);
                        tx.rpush("tx:list" + clientNo, "b" + i);
                        assertThat(tx.exec()).containsExactly(2L * i + 1, 2L * i + 2);
                    }
                }
                return null;
            });
            clients.add(() -> {
                try (Jedis client = proxy()) {
                    for (int i = 0; i < 300; i++) {
                        Pipeline pipeline = client.pipelined();
                        Response<String> set = pipeline.set("tx:plain" + clientNo, "p" + i);
                        Response<String> get = pipeline.get("tx:plain" + clientNo);
                        pipeline.sync();
                        assertThat(set.get()).isEqualTo("OK");
                        assertThat(get.get()).isEqualTo("p" + i);
                    }
                }
                return null;
            });
        }
        runConcurrently(clients);
        try (Jedis direct = direct(dc3)) {
            awaitValue(direct, "tx:plain1", "p299");
            assertThat(direct.lrange("tx:list0", 0, -1)).hasSize(600);
        }
    }

    @Test
    void statefulAndUnknownCommandsGetAClearError() {
        try (Jedis client = proxy()) {
            assertThatThrownBy(() -> client.sendCommand(redis.clients.jedis.Protocol.Command.WATCH, "k"))
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("WATCH");
            assertThatThrownBy(() -> client.sendCommand(redis.clients.jedis.Protocol.Command.EXEC))
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("EXEC without MULTI");
            assertThatThrownBy(() -> client.sendCommand(() -> "NOSUCHCOMMAND".getBytes(), "a"))
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("unknown command");
            assertThat(client.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void aProtocolErrorIsAnsweredAndTheConnectionClosedWhileOthersGoOn() throws Exception {
        try (Socket bad = new Socket("127.0.0.1", port); Jedis good = proxy()) {
            bad.setSoTimeout(5000);
            bad.getOutputStream().write("*1\r\n$-7\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = readAll(bad.getInputStream());
            assertThat(reply).startsWith("-ERR Protocol error");
            assertThat(good.set("after", "bad")).isEqualTo("OK");
        }
    }

    /** What {@code printf 'SET ...\r\nGET ...\r\n' | nc} does: send, shut the write side, read to the end. */
    @Test
    void aClientThatHalfClosesGetsEveryReplyThenTheEnd() throws Exception {
        String script = "SET half 1\r\nGET half\r\nINCR n\r\n*2\r\n$3\r\nGET\r\n$4\r\nhalf\r\nPING\r\n";
        for (int port : new int[] {port, dc1.port()}) {
            try (Socket client = new Socket("127.0.0.1", port)) {
                client.setSoTimeout(5000);
                client.getOutputStream().write(script.getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertThat(readAll(client.getInputStream())).as("port %d", port)
                        .isEqualTo("+OK\r\n$1\r\n1\r\n:" + (port == dc1.port() ? 2 : 1) + "\r\n$1\r\n1\r\n+PONG\r\n");
            }
        }
        try (Socket client = new Socket("127.0.0.1", port)) {
            client.setSoTimeout(5000);
            client.shutdownOutput();
            assertThat(readAll(client.getInputStream())).as("nothing sent, nothing answered, closed").isEmpty();
        }
    }

    // ---- helpers

    /** Runs each client on a thread of its own and fails with the first client's failure. */
    private static void runConcurrently(List<Callable<Void>> clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (Callable<Void> client : clients) {
                done.add(pool.submit(client));
            }
            for (Future<Void> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void setDirectly(String key, String onDc1, String onDc2, String onDc3) {
        String[] values = {onDc1, onDc2, onDc3};
        RedisServer[] servers = {dc1, dc2, dc3};
        for (int i = 0; i < 3; i++) {
            try (Jedis direct = direct(servers[i])) {
                direct.set(key, values[i]);
            }
        }
    }

    /** Writes reach the slower clusters a little after the client's reply; wait for them, boundedly. */
    static void awaitValue(Jedis direct, String key, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!expected.equals(direct.get(key)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(direct.get(key)).isEqualTo(expected);
    }

    static String resp(String... args) {
        StringBuilder text = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            text.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
        }
        return text.toString();
    }

    private static String raw(String request, int replyBytes) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            byte[] reply = socket.getInputStream().readNBytes(replyBytes);
            return new String(reply, StandardCharsets.UTF_8);
        }
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toString(StandardCharsets.UTF_8);
    }
}
