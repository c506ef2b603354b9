package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Outage replay: a cluster that missed writes gets them, in order, before it serves reads again. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplayIT {
    @TempDir
    Path replayDir;
    RedisServer dc1;
    RedisServer dc2;
    int port;
    Daemon daemon;

    @BeforeEach
    void backends() {
        // with an append-only file a restarted server still has what it held before
        dc1 = RedisServer.start("--appendonly", "yes");
        dc2 = RedisServer.start("--appendonly", "yes");
        port = FreePorts.find();
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        dc1.close();
        dc2.close();
    }

    private Daemon start(String replayExtras) throws Exception {
        return start(replayExtras, "dc1, dc2");
    }

    /** With {@code clusters} in the listener: a cluster alone in its listener has nothing to be resynchronised from. */
    private Daemon start(String replayExtras, String clusters) throws Exception {
        return Daemon.start(DatacenterYaml.twoReplaying("redis", port, clusters, replayDir, replayExtras, "", dc1, dc2));
    }


    /** The daemon stops with dc2's missed writes on disk; dc2 comes back, then a new daemon, which replays them. */
    private void restartDaemonAndDc2() throws Exception {
        daemon.close();
        daemon = null;
        dc2.restart();
        daemon = start("");
        daemon.awaitHealthy();
    }

    @Test
    void writesMissedDuringAnOutageSurviveADaemonRestartAndAreReplayedInOrder() throws Exception {
        daemon = start("");
        dc2.stop();
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < 200; i++) {
                assertThat(client.set("k" + i, "v" + i)).isEqualTo("OK");
                client.rpush("order", String.valueOf(i));
            }
            client.set("k0", "overwritten");
            // a transaction is recorded as its whole MULTI ... EXEC block and read back as one write
            redis.clients.jedis.Transaction tx = client.multi();
            tx.set("tx:a", "1");
            tx.incr("tx:n");
            assertThat(tx.exec()).containsExactly("OK", 1L);
        }
        restartDaemonAndDc2();
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(direct.get("k199")).isEqualTo("v199");
            assertThat(direct.get("k0")).isEqualTo("overwritten");
            assertThat(direct.get("tx:a")).isEqualTo("1");
            assertThat(direct.get("tx:n")).isEqualTo("1");
            List<String> order = direct.lrange("order", 0, -1);
            assertThat(order).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(order.get(i)).isEqualTo(String.valueOf(i));
            }
        }
        assertThat(daemon.engine.metrics().counter("cluster.dc2.replay.replayed").getCount()).isEqualTo(402);
        try (Jedis client = new Jedis("127.0.0.1", port); Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(client.set("after", "replay")).as("the node's connection is not left inside a MULTI").isEqualTo("OK");
            RedisProxyIT.awaitValue(direct, "after", "replay");
        }
    }

    @Test
    void aWriteInADatabaseTheClientSelectedIsReplayedIntoItAfterADaemonRestart() throws Exception {
        daemon = start("");
        dc2.stop();
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            client.select(9);
            assertThat(client.set("nine", "9")).isEqualTo("OK");
            client.select(0);
            assertThat(client.set("zero", "0")).isEqualTo("OK");
        }
        restartDaemonAndDc2();
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            RedisProxyIT.awaitValue(direct, "zero", "0");
            assertThat(direct.exists("nine")).as("not in database 0").isFalse();
            direct.select(9);
            assertThat(direct.get("nine")).isEqualTo("9");
        }
    }

    @Test
    void aClusterIsNotReadFromUntilItCaughtUp() throws Exception {
        daemon = start("");
        try (Jedis client = new Jedis("127.0.0.1", port); Jedis direct1 = new Jedis("127.0.0.1", dc1.port())) {
            dc1.stop();
            client.set("fresh", "new");
            dc1.restart();
            daemon.awaitHealthy();
            // dc1 is local and preferred again, and it must have the write it missed
            assertThat(client.get("fresh")).isEqualTo("new");
            assertThat(direct1.get("fresh")).isEqualTo("new");
        }
    }

    @Test
    void withNothingToResynchroniseFromAnOverflowedLogFlushesTheClusterWhenItIsBack() throws Exception {
        daemon = start("  max-entries: 10\n  on-overflow: flush", "dc2");
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            direct.set("stale", "from before");
            direct.select(9);
            direct.set("stale9", "from before, in a database a client may SELECT");
        }
        dc2.stop();
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < 20; i++) {
                try {
                    client.set("k" + i, "v" + i);
                } catch (RuntimeException e) {
                    // the only cluster is down: the write fails, and is recorded until the log overflows
                }
            }
        }
        assertThat(daemon.engine.metrics().counter("cluster.dc2.replay.overflows").getCount()).isEqualTo(1);
        dc2.restart();
        daemon.awaitHealthy();
        try (Jedis direct = new Jedis("127.0.0.1", dc2.port())) {
            assertThat(direct.exists("stale")).as("flushed, so it refills instead of serving stale data").isFalse();
            direct.select(9);
            assertThat(direct.exists("stale9")).as("every database is flushed").isFalse();
        }
    }

    @Test
    void withNothingToResynchroniseFromStayOutKeepsAnOverflowedClusterOutOfReadsAcrossRestarts() throws Exception {
        daemon = start("  max-entries: 5\n  on-overflow: stay-out", "dc1");
        dc1.stop();
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            for (int i = 0; i < 10; i++) {
                try {
                    client.set("k" + i, "v" + i);
                } catch (RuntimeException e) {
                    // the only cluster is down
                }
            }
        }
        dc1.restart();
        Thread.sleep(500);
        assertThat(daemon.engine.clusterHealth()).containsEntry("dc1", false);
        daemon.close();
        daemon = start("  max-entries: 5\n  on-overflow: stay-out", "dc1");
        Thread.sleep(300);
        assertThat(daemon.engine.clusterHealth()).containsEntry("dc1", false);
    }

    /** See {@link #connectionsLostOneByOne}. */
    @Test
    void aClientsWritesToOneKeyEndInItsOrderWhenTheNodesConnectionsAreLostOneByOne() throws Exception {
        connectionsLostOneByOne(false);
    }

    /** The same, with the daemon restarted before the replay: the order comes back from the file. */
    @Test
    void aClientsWritesToOneKeyEndInItsOrderWhenTheDaemonRestartsBeforeTheReplay() throws Exception {
        connectionsLostOneByOne(true);
    }

    private Daemon startWithTwoConnectionsPerNode() throws Exception {
        return Daemon.start("""
                io-threads: 1
                backend: { connections-per-node: 2, reconnect-min-ms: 50, reconnect-max-ms: 200,
                           request-timeout-ms: 60000, suspect-after-ms: 30000 }
                replay: { dir: %s }
                listeners:
                  - { name: main, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc1, dc2] }
                """.formatted(replayDir, port) + DatacenterYaml.clusters(dc1, dc2));
    }

    /**
     * The node has two connections on the one event loop; each client writes through its own. Both
     * writes in flight are held by the server ({@code CLIENT PAUSE WRITE}); the server closes the
     * other client's connection first, so the node is behind when this client writes again, and
     * only then this client's: its first write is lost after its second was held back. Replayed
     * (by a new daemon, with {@code restart}), the key ends with the client's last write.
     */
    private void connectionsLostOneByOne(boolean restart) throws Exception {
        daemon = startWithTwoConnectionsPerNode();
        try (Jedis one = new Jedis("127.0.0.1", port, 30_000); Jedis other = new Jedis("127.0.0.1", port, 30_000);
             Jedis admin = new Jedis("127.0.0.1", dc2.port(), 30_000)) {
            one.incr("marker:one");
            other.decr("marker:other");
            String ofOne = connectionWhoseLastCommandWas(admin, "incr");
            String ofOther = connectionWhoseLastCommandWas(admin, "decr");
            assertThat(ofOne).as("each client has a connection of its own").isNotEqualTo(ofOther);

            admin.sendCommand(Protocol.Command.CLIENT, "PAUSE", "60000", "WRITE");
            assertThat(one.set("k", "1")).isEqualTo("OK"); // answered by dc1; in flight to dc2
            assertThat(other.set("j", "1")).isEqualTo("OK");
            admin.sendCommand(Protocol.Command.CLIENT, "KILL", "ID", ofOther);
            awaitPending(1); // SET j 1 lost: dc2 is behind
            assertThat(one.set("k", "2")).isEqualTo("OK"); // held back for dc2
            awaitPending(2);
            admin.sendCommand(Protocol.Command.CLIENT, "KILL", "ID", ofOne);
            awaitPending(3); // SET k 1 lost, after SET k 2 was held back
            if (restart) {
                daemon.close();
                daemon = startWithTwoConnectionsPerNode();
                awaitPending(3);
            }
            admin.sendCommand(Protocol.Command.CLIENT, "UNPAUSE");
            awaitPending(0);
            daemon.awaitHealthy();
            assertThat(admin.get("k")).as("the client's last write").isEqualTo("2");
            assertThat(admin.get("j")).isEqualTo("1");
        }
    }

    /** The id of the connection to {@code server} whose last command was {@code command}. */
    private static String connectionWhoseLastCommandWas(Jedis server, String command) {
        return Arrays.stream(server.clientList().split("\n"))
                .filter(line -> line.contains(" cmd=" + command + " "))
                .map(line -> line.substring(3, line.indexOf(' ')))
                .findFirst().orElseThrow(() -> new AssertionError("no connection ran " + command));
    }

    /** Waits (at most 30 s) until dc2's replay log holds {@code writes}. */
    private void awaitPending(int writes) throws InterruptedException {
        String gauge = "cluster.dc2.node." + dc2.address() + ".replay-pending";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Integer.valueOf(writes).equals(pending(gauge)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(pending(gauge)).as(gauge).isEqualTo(writes);
    }

    private Object pending(String gauge) {
        var metric = daemon.engine.metrics().getGauges().get(gauge);
        assertThat(metric).as(gauge + " among " + daemon.engine.metrics().getGauges().keySet()).isNotNull();
        return metric.getValue();
    }
}
