package io.metacluster.e2e;

import io.metacluster.engine.ClusterStatus;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One node of a three-node memcached ring ({@code topology: hash-ring}, the local cluster) killed
 * and restarted under traffic, next to a single memcached as the other cluster, under each
 * {@code on-node-down} mode, through the daemon.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MemcachedNodeDownIT {
    private static final int PRELOAD = 300;
    /** Keys checked one by one while the node is down; spread over the ring (sequential names hash close together). */
    private static final int MARKED = 150;
    private static final int DEAD = 1;

    @TempDir
    Path replayDir;
    @AutoClose
    ShardedBackends<MemcachedServer> ring;
    int port;
    /** A listener in front of the ring alone. */
    int ringOnlyPort;

    private void start(String onNodeDown) throws Exception {
        port = FreePorts.find();
        ringOnlyPort = FreePorts.find();
        ring = ShardedBackends.withSingle(MemcachedServer::start, """
                backend: { reconnect-min-ms: 50, reconnect-max-ms: 300 }
                replay: { dir: %s }
                listeners:
                  - { name: mc, protocol: memcached, bind: 127.0.0.1:%d, clusters: [ring, single] }
                  - { name: ringonly, protocol: memcached, bind: 127.0.0.1:%d, clusters: [ring] }
                clusters:
                  - name: ring
                    local: true
                    topology: hash-ring
                    on-node-down: %s
                    nodes: [{shards}]
                  - { name: single, nodes: [{single}] }
                """.formatted(replayDir, port, ringOnlyPort, onNodeDown));
        try (Client client = new Client(port)) {
            for (int i = 0; i < PRELOAD; i++) {
                assertThat(client.set("pre:" + i, "v" + i)).isTrue();
            }
            for (int i = 0; i < MARKED; i++) {
                assertThat(client.set(marked(i), "v" + i)).isTrue();
            }
        }
    }

    @Test
    void failoverClusterReadsTheDownNodesKeysElsewhereAndReplaysItsWrites() throws Exception {
        start("failover-cluster");
        ReadsAndWrites traffic = new ReadsAndWrites(() -> new Client(port), PRELOAD);
        Thread.sleep(300);
        ring.shards.get(DEAD).kill();
        await(() -> !ring.daemon.engine.clusterStatus().get(0).nodes().get(DEAD).up());
        Thread.sleep(300);
        try (Client client = new Client(port)) {
            int local = 0;
            int elsewhere = 0;
            for (int i = 0; i < MARKED; i++) {
                String key = marked(i);
                if (!ofTheDeadNode(client, i)) {
                    local++;
                } else {
                    assertThat(client.get(key)).as("%s of the down node, read from the other cluster", key)
                            .isEqualTo("single" + i);
                    assertThat(client.set(key, "x" + i)).as("a write for the down node, kept for it").isTrue();
                    elsewhere++;
                }
            }
            assertThat(local).isGreaterThan(20);
            // with no other cluster: the down node's keys get an error naming it, the others are served
            int dead = 0;
            while (owner(marked(dead)) != DEAD) {
                dead++;
            }
            int live = dead == 0 ? 1 : dead - 1;
            while (owner(marked(live)) == DEAD) {
                live++;
            }
            try (Socket ringOnly = MemcachedBackends.connect(ringOnlyPort)) {
                ringOnly.getOutputStream().write(("get " + marked(dead) + "\r\nget " + marked(live) + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(MemcachedBackends.readLine(ringOnly.getInputStream())).isEqualTo("SERVER_ERROR no cluster can"
                        + " serve get now: node " + ring.shards.get(DEAD).address() + " of cluster ring is down");
                assertThat(MemcachedBackends.readLine(ringOnly.getInputStream())).startsWith("VALUE " + marked(live));
            }
            assertThat(elsewhere).isGreaterThan(10);
            assertThat(status().nodes().get(DEAD).replayPending()).as("writes kept for the down node").isGreaterThanOrEqualTo(elsewhere);
        }
        ring.shards.get(DEAD).restart();
        ring.daemon.awaitCounter("cluster.ring.resync.completed", 1);
        ring.daemon.awaitHealthy();
        Thread.sleep(500);
        traffic.stop();
        System.out.printf("failover-cluster: %d reads, %d missed, %d writes; %d replayed%n", traffic.reads(),
                traffic.misses(), traffic.written(), ring.daemon.counter("cluster.ring.replay.replayed"));
        assertThat(traffic.failures()).as("client errors").isZero();
        assertThat(traffic.misses()).as("reads that found nothing: %s", traffic.missed()).isZero();
        for (int i = 0; i < MARKED; i++) {
            String key = marked(i);
            if (owner(key) == DEAD) {
                assertThat(ring.shards.get(DEAD).get(key)).as("%s replayed to the restarted node", key).isEqualTo("x" + i);
            }
        }
        for (int n = 0; n < traffic.written(); n++) {
            String key = "new:" + n;
            assertThat(ring.shards.get(owner(key)).get(key)).as(key).isEqualTo("w" + n);
        }
        assertThat(ring.daemon.counter("cluster.ring.ejections")).isZero();
    }

    @Test
    void ejectPlacesTheDownNodesKeysOnTheOthersAndFlushesItBeforeItRejoins() throws Exception {
        start("eject");
        ReadsAndWrites traffic = new ReadsAndWrites(() -> new Client(port), PRELOAD);
        Thread.sleep(300);
        ring.shards.get(DEAD).kill();
        ring.daemon.awaitCounter("cluster.ring.ejections", 1);
        List<String> movedKeys = new ArrayList<>();
        try (Client client = new Client(port)) {
            for (int i = 0; i < MARKED; i++) {
                String key = marked(i);
                if (ofTheDeadNode(client, i)) {
                    assertThat(client.get(key)).as("%s of the ejected node: a miss on the node that stands in", key).isNull();
                    assertThat(client.set(key, "x" + i)).isTrue();
                    assertThat(client.get(key)).isEqualTo("x" + i);
                    int standsIn = ring.daemon.nodeOf("ring", key, DEAD);
                    for (int s = 0; s < ring.shards.size(); s++) {
                        if (s != DEAD) {
                            assertThat(ring.shards.get(s).get(key)).as("%s on node %d, where twemproxy would put it", key, s)
                                    .isEqualTo(s == standsIn ? "x" + i : null);
                        }
                    }
                    movedKeys.add(key);
                }
            }
        }
        assertThat(movedKeys).hasSizeGreaterThan(10);
        assertThat(status().nodes().get(DEAD).replayPending()).as("nothing kept for an ejected node").isZero();
        assertThat(status().nodes().get(DEAD).ejected()).isTrue();
        assertThat(ring.daemon.engine.clusterHealth()).containsEntry("ring", false);

        ring.shards.get(DEAD).restart();
        ring.daemon.awaitCounter("cluster.ring.rejoins", 1);
        ring.daemon.awaitHealthy();
        assertThat(status().nodes().get(DEAD).ejected()).isFalse();
        try (Client client = new Client(port)) {
            for (String key : movedKeys) {
                assertThat(client.get(key)).as("%s: back on its own node, which restarted empty", key).isNull();
            }
            // a node that was only unreachable keeps what it held: it is flushed before it rejoins
            String stale = movedKeys.get(0);
            assertThat(client.set(stale, "before")).isTrue();
            assertThat(ring.shards.get(DEAD).get(stale)).isEqualTo("before");
            ring.shards.get(DEAD).freeze();
            ring.daemon.awaitCounter("cluster.ring.ejections", 2);
            assertThat(client.set(stale, "during")).isTrue();
            assertThat(client.get(stale)).isEqualTo("during");
            ring.shards.get(DEAD).thaw();
            ring.daemon.awaitCounter("cluster.ring.rejoins", 2);
            assertThat(ring.shards.get(DEAD).get(stale)).as("flushed before rejoining").isNull();
            assertThat(client.get(stale)).as("never the value from before the outage").isNull();
        }
        ring.daemon.awaitHealthy();
        Thread.sleep(500);
        traffic.stop();
        System.out.printf("eject: %d reads, %d missed, %d writes; %d ejections, %d rejoins%n", traffic.reads(),
                traffic.misses(), traffic.written(), ring.daemon.counter("cluster.ring.ejections"),
                ring.daemon.counter("cluster.ring.rejoins"));
        assertThat(traffic.failures()).as("client errors").isZero();
        for (String missed : traffic.missed()) {
            String key = missed.substring(0, missed.indexOf(' '));
            assertThat(owner(key)).as("a read that found nothing is of the ejected node: %s", missed).isEqualTo(DEAD);
        }
        assertThat(ring.daemon.counter("cluster.ring.replay.replayed")).as("no replay for an ejected node").isZero();
        assertThat(ring.daemon.counter("cluster.ring.resync.started")).isZero();
    }

    private static String marked(int i) {
        return "m:" + Integer.toHexString(i * 0x9E3779B1);
    }

    /**
     * Whether marked key {@code i} is of the dead node. Its copies are first made to differ, to
     * tell which cluster answers: one of a live node must be read from the ring still.
     */
    private boolean ofTheDeadNode(Client client, int i) throws IOException {
        String key = marked(i);
        assertThat(ring.single.set(key, "single" + i)).isTrue();
        if (owner(key) == DEAD) {
            return true;
        }
        assertThat(ring.shards.get(owner(key)).set(key, "ring" + i)).isTrue();
        assertThat(client.get(key)).as("%s of a live node, read locally", key).isEqualTo("ring" + i);
        return false;
    }

    private ClusterStatus status() {
        return ring.daemon.engine.clusterStatus().stream().filter(c -> c.name().equals("ring")).findFirst().orElseThrow();
    }

    private int owner(String key) {
        return ring.daemon.nodeOf("ring", key);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }

    /** A text-protocol connection to the proxy whose every error reply is an exception: a client error. */
    static final class Client implements ReadsAndWrites.Client {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = MemcachedBackends.connect(port);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        @Override
        public boolean set(String key, String value) throws IOException {
            out.write(("set " + key + " 0 0 " + value.length() + "\r\n" + value + "\r\n").getBytes(StandardCharsets.US_ASCII));
            String reply = MemcachedBackends.readLine(in);
            if (!reply.equals("STORED")) {
                throw new IOException("set " + key + ": " + reply);
            }
            return true;
        }

        @Override
        public String get(String key) throws IOException {
            out.write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
            String header = MemcachedBackends.readLine(in);
            if (header.equals("END")) {
                return null;
            }
            if (!header.startsWith("VALUE ")) {
                throw new IOException("get " + key + ": " + header);
            }
            String value = MemcachedBackends.readLine(in);
            String end = MemcachedBackends.readLine(in);
            if (!end.equals("END")) {
                throw new IOException("get " + key + ": " + end);
            }
            return value;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
