package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Client limits (each with its clear error) and write policies, against three real redis-servers. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LimitsAndPoliciesIT {
    @TempDir
    static Path replayDir;
    static RedisServer dc1;
    static RedisServer dc2;
    static RedisServer dc3;
    static Daemon daemon;
    static int limited;
    static int clientsCapped;
    static int idle;
    static int all;
    static int quorum;
    static int local;
    static int missFailover;

    @BeforeAll
    static void start() throws Exception {
        dc1 = RedisServer.start();
        dc2 = RedisServer.start();
        dc3 = RedisServer.start();
        int[] ports = FreePorts.find(7);
        missFailover = ports[6];
        limited = ports[0];
        clientsCapped = ports[1];
        idle = ports[2];
        all = ports[3];
        quorum = ports[4];
        local = ports[5];
        daemon = Daemon.start("""
                backend: { reconnect-min-ms: 50, reconnect-max-ms: 200 }
                replay: { dir: "%s" }
                listeners:
                  - name: limited
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    limits: { max-frame-bytes: 1024, max-elements: 10, max-inline-bytes: 64,
                              max-pending-per-client: 16, max-output-bytes: 1048576 }
                  - name: capped
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1]
                    limits: { max-clients: 3 }
                  - name: idle
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1]
                    limits: { idle-timeout-ms: 300 }
                  - name: all
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    write: { policy: all }
                  - name: quorum
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    write: { policy: quorum }
                  - name: local
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    write: { policy: local }
                  - name: miss
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    miss-failover: true
                clusters:
                  - { name: dc1, local: true, nodes: [%s] }
                  - { name: dc2, nodes: [%s] }
                  - { name: dc3, nodes: [%s] }
                """.formatted(replayDir, limited, clientsCapped, idle, all, quorum, local, missFailover,
                dc1.address(), dc2.address(), dc3.address()));
    }

    @AfterAll
    static void stop() {
        daemon.close();
        dc1.close();
        dc2.close();
        dc3.close();
    }

    private static String exchange(int port, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(reply); // until the daemon closes the connection
            return reply.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void anOversizedValueIsRefusedAndTheConnectionClosed() throws Exception {
        assertThat(exchange(limited, RedisProxyIT.resp("SET", "k", "x".repeat(2000))))
                .isEqualTo("-ERR Protocol error: invalid bulk length\r\n");
        try (Jedis other = new Jedis("127.0.0.1", limited)) {
            assertThat(other.set("k", "x".repeat(1000))).isEqualTo("OK");
        }
    }

    @Test
    void tooManyElementsAndTooLongInlineLinesAreRefused() throws Exception {
        String[] mset = new String[13];
        mset[0] = "MSET";
        for (int i = 1; i < 13; i++) {
            mset[i] = "a" + i;
        }
        assertThat(exchange(limited, RedisProxyIT.resp(mset))).isEqualTo("-ERR Protocol error: invalid multibulk length\r\n");
        assertThat(exchange(limited, "PING " + "x".repeat(100))).startsWith("-ERR Protocol error: too big inline request");
    }

    @Test
    void aClientPipeliningFarBeyondItsPendingLimitIsSlowedNotFailed() {
        // 16 in flight at a time: 1,250 stop-and-go rounds, slow on a loaded machine, hence the long timeout
        try (Jedis client = new Jedis("127.0.0.1", limited, 30_000)) {
            client.set("p", "v");
            Pipeline pipeline = client.pipelined();
            List<Response<String>> replies = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                replies.add(pipeline.get("p"));
            }
            pipeline.sync();
            assertThat(replies).allSatisfy(r -> assertThat(r.get()).isEqualTo("v"));
        }
    }

    @Test
    void aClientThatNeverReadsIsDisconnectedAndOthersAreFine() throws Exception {
        // replies far bigger than the writability watermark, so back-pressure alone cannot bound them
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            try (Jedis direct = new Jedis("127.0.0.1", server.port())) {
                direct.set("big", "y".repeat(200_000));
            }
        }
        long before = daemon.engine.metrics().meter("listener.limited.output-limit-disconnects").getCount();
        try (Socket sleeper = new Socket("127.0.0.1", limited)) {
            sleeper.setReceiveBufferSize(4096);
            StringBuilder gets = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                gets.append(RedisProxyIT.resp("GET", "big"));
            }
            byte[] request = gets.toString().getBytes(StandardCharsets.US_ASCII);
            try {
                sleeper.getOutputStream().write(request);
            } catch (java.io.IOException expectedWhenDisconnected) {
                // the daemon may close it while we are still writing
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (daemon.engine.metrics().meter("listener.limited.output-limit-disconnects").getCount() == before
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(daemon.engine.metrics().meter("listener.limited.output-limit-disconnects").getCount()).isGreaterThan(before);
            try (Jedis other = new Jedis("127.0.0.1", limited)) {
                assertThat(other.get("big")).hasSize(200_000);
            }
        }
    }

    @Test
    void maxClientsRefusesTheOneTooMany() throws Exception {
        List<Jedis> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Jedis client = new Jedis("127.0.0.1", clientsCapped);
                assertThat(client.ping()).isEqualTo("PONG");
                held.add(client);
            }
            assertThat(exchange(clientsCapped, "")).isEqualTo("-ERR max number of clients reached\r\n");
            held.remove(0).close();
            Thread.sleep(100);
            try (Jedis again = new Jedis("127.0.0.1", clientsCapped)) {
                assertThat(again.ping()).isEqualTo("PONG");
            }
        } finally {
            held.forEach(Jedis::close);
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", idle)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
            long start = System.nanoTime();
            assertThat(in.read()).as("closed by the daemon").isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(150L, 4000L);
        }
    }

    @Test
    void writePoliciesDecideWhatAClientWaitsFor() throws Exception {
        try (Jedis viaAll = new Jedis("127.0.0.1", all); Jedis viaQuorum = new Jedis("127.0.0.1", quorum);
             Jedis viaLocal = new Jedis("127.0.0.1", local)) {
            assertThat(viaAll.set("w", "1")).isEqualTo("OK");
            dc3.stop();
            assertThatThrownBy(() -> viaAll.set("w", "2")).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("SET failed on 1 of 3 clusters");
            assertThat(viaQuorum.set("w", "3")).isEqualTo("OK");
            assertThat(viaLocal.set("w", "4")).isEqualTo("OK");
            dc2.stop();
            assertThatThrownBy(() -> viaQuorum.set("w", "5")).isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("SET failed on 2 of 3 clusters");
            assertThat(viaLocal.set("w", "6")).isEqualTo("OK");
            dc2.restart();
            dc3.restart();
            dc1.stop();
            Thread.sleep(300);
            assertThatThrownBy(() -> viaLocal.set("w", "7")).isInstanceOf(JedisDataException.class);
            dc1.restart();
            daemon.awaitHealthy();
            assertThat(viaAll.set("w", "8")).isEqualTo("OK");
        }
    }

    @Test
    void missFailoverTriesAnotherClusterOnceWhenTheLocalOneMisses() throws Exception {
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            direct.set("only-remote", "here");
        }
        try (Jedis direct = new Jedis("127.0.0.1", dc3.port())) {
            direct.set("only-remote", "here");
        }
        try (Jedis viaMiss = new Jedis("127.0.0.1", missFailover); Jedis viaLimited = new Jedis("127.0.0.1", limited)) {
            assertThat(viaLimited.get("only-remote")).as("without miss-failover the local miss is the answer").isNull();
            assertThat(viaMiss.get("only-remote")).isEqualTo("here");
            assertThat(viaMiss.get("nowhere")).isNull();
        }
        assertThat(daemon.engine.metrics().meter("listener.miss.miss-failovers").getCount()).isEqualTo(2);
    }
}
