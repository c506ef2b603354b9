package io.metacluster.e2e;

import io.metacluster.config.ConfigException;
import io.metacluster.config.ConfigLoader;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real Redis Cluster whose nodes want a password ({@code requirepass}, {@code masterauth}; three
 * masters, one replica each) read with {@code read-from: replica-preferred}, next to a single
 * redis-server, through the daemon with Jedis (write policy {@code all}). Which node served a read
 * is told by the nodes' own counters ({@code INFO stats} keyspace hits, after {@code CONFIG
 * RESETSTAT}). The tests run in order: later ones add a master and kill a replica.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterReplicaIT {
    static final String PASSWORD = "cluster-secret";
    static RedisClusterNodes cluster;
    static RedisServer single;
    static Daemon daemon;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedisClusterNodes.start(3, 1, PASSWORD);
        single = RedisServer.start();
        port = FreePorts.find();
        daemon = Daemon.start(config(port, "replica-preferred", PASSWORD));
        daemon.awaitHealthy();
        // health counts masters only; a replica not connected yet would leave its reads to its master
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cluster.servers.stream().allMatch(server -> knows(daemon, server)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(cluster.servers).allMatch(server -> knows(daemon, server));
    }

    /**
     * Waits until the daemon's map names a replica for every master: Redis shows a replica as
     * {@code loading} until it has replicated something and the cluster bus told the other nodes.
     */
    private static void awaitReaders() throws InterruptedException {
        io.metacluster.spi.Topology topology = daemon.engine.plan().clusters().get(0).topology();
        int nodes = daemon.engine.plan().clusters().get(0).nodes().size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        boolean all = false;
        while (!all && System.nanoTime() < deadline) {
            all = true;
            for (int i = 0; i < nodes; i++) {
                all &= !topology.serves(i) || (topology.readers(i) != null && topology.readers(i).nodes().length > 0);
            }
            Thread.sleep(all ? 0 : 50);
        }
        assertThat(all).as("a replica online for every master in the map").isTrue();
    }

    static String config(int port, String readFrom, String password) {
        return config(port, readFrom, password, 300);
    }

    static String config(int port, String readFrom, String password, int refreshMs) {
        return RedisClusterBesideSingle.yaml(port, single.address(),
                "topology-options: { refresh-ms: " + refreshMs + ", read-from: " + readFrom + " }",
                password == null ? "" : "password: " + password, "nodes: [" + cluster.servers.get(0).address() + "]");
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (single != null) {
            single.close();
        }
    }

    private static Jedis proxy() {
        return new Jedis("127.0.0.1", port, 10_000);
    }

    private static Jedis node(RedisServer server) {
        Jedis jedis = direct(server);
        jedis.auth(PASSWORD);
        return jedis;
    }

    private static long stat(RedisServer server, String field) {
        for (String line : String.valueOf(cluster.call(server, "INFO", "stats")).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new IllegalStateException(field + " not in INFO stats of " + server.address());
    }

    private static void resetStats() {
        cluster.servers.stream().filter(RedisServer::isRunning).forEach(server -> cluster.call(server, "CONFIG", "RESETSTAT"));
    }

    /** Waits until each live replica holds as many keys as its master. */
    private static void awaitReplicas() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (RedisServer master : cluster.masters()) {
            for (RedisServer replica : cluster.replicasOf(master)) {
                while (!cluster.call(replica, "DBSIZE").equals(cluster.call(master, "DBSIZE"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(cluster.call(replica, "DBSIZE")).as("%s caught up", replica.address())
                        .isEqualTo(cluster.call(master, "DBSIZE"));
            }
        }
    }

    @Test
    @Order(1)
    void theSlotMapIsReadWithThePasswordAndEveryNodeAuthenticates() throws Exception {
        assertThat(daemon.engine.plan().clusters().get(0).nodes()).as("masters and replicas, found from one seed")
                .hasSize(6);
        try (var plugins = io.metacluster.plugin.PluginHost.load(Daemon.home().resolve("plugins"))) {
            String without = config(FreePorts.find(), "master", null);
            var unauthenticated = ConfigLoader.parse("test.yaml", without, plugins).clusters().get(0);
            unauthenticated.topology().close();
            assertThat(unauthenticated.nodes()).as("without the password the seed gives no map: the seed alone").hasSize(1);
        }
        try (Jedis client = proxy()) {
            for (int i = 0; i < 300; i++) {
                assertThat(client.set("k" + i, "v" + i)).isEqualTo("OK");
            }
        }
        long total = 0;
        for (RedisServer master : cluster.masters()) {
            try (Jedis direct = node(master)) {
                total += direct.dbSize();
            }
        }
        assertThat(total).as("every write on a master").isEqualTo(300);
    }

    @Test
    @Order(2)
    void readsAreServedByTheReplicasAndWritesByTheMasters() throws Exception {
        awaitReplicas();
        awaitReaders();
        resetStats();
        List<String> keys = new ArrayList<>();
        try (Jedis client = proxy()) {
            for (int i = 0; i < 300; i++) {
                assertThat(client.get("k" + i)).isEqualTo("v" + i);
            }
            for (int i = 0; i < 20; i++) {
                keys.add("k" + i * 13);
            }
            List<String> values = client.mget(keys.toArray(String[]::new));
            for (int i = 0; i < 20; i++) {
                assertThat(values.get(i)).isEqualTo("v" + i * 13);
            }
            assertThat(client.set("k1", "changed")).as("a write: to the master").isEqualTo("OK");
        }
        long onReplicas = 0;
        for (RedisServer master : cluster.masters()) {
            assertThat(stat(master, "keyspace_hits")).as("no read on master %s", master.address()).isZero();
            for (RedisServer replica : cluster.replicasOf(master)) {
                long hits = stat(replica, "keyspace_hits");
                assertThat(hits).as("replica %s served its master's share", replica.address()).isBetween(50L, 200L);
                onReplicas += hits;
            }
        }
        assertThat(onReplicas).as("300 GETs and 20 MGET keys, all on replicas").isEqualTo(320);
        try (Jedis owner = node(cluster.ownerOf(slotOf("k1")))) {
            assertThat(owner.get("k1")).isEqualTo("changed");
        }
    }

    @Test
    @Order(3)
    void anUnknownReadFromIsRefusedWithItsLine() throws Exception {
        try (var plugins = io.metacluster.plugin.PluginHost.load(Daemon.home().resolve("plugins"))) {
            String bad = config(FreePorts.find(), "nearest", PASSWORD);
            assertThatThrownBy(() -> ConfigLoader.parse("test.yaml", bad, plugins)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("test.yaml:12: clusters[0].topology-options")
                    .hasMessageContaining("read-from: unknown value 'nearest'; one of: master, replica-preferred, replica");
        }
    }

    @Test
    @Order(4)
    void aMasterAddedDuringTrafficGetsItsSlotsAndTrafficWithoutClientErrors() throws Exception {
        // reads from masters: Traffic reads each value right after writing it; no periodic map
        // refresh meanwhile: this daemon learns of the new node from the redirections to it
        int masterReads = FreePorts.find();
        try (Daemon reading = Daemon.start(config(masterReads, "master", PASSWORD, 600_000))) {
            reading.awaitHealthy();
            Traffic traffic = Traffic.start(masterReads, "j", 2000);
            Thread.sleep(300);
            RedisServer from = cluster.masters().get(0);
            RedisServer joining = cluster.startNode();
            cluster.servers.add(joining);
            long started = System.nanoTime();
            cluster.cli("--cluster", "add-node", joining.address(), from.address());
            cluster.awaitOk(); // the new node answers CLUSTERDOWN until it has learnt the slots
            long connectedAt = 0;
            while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20)
                    && (connectedAt = knows(daemon, joining) ? System.nanoTime() : 0) == 0) {
                Thread.sleep(20);
            }
            assertThat(connectedAt).as("the daemon that refreshes its map connected to the new node").isPositive();
            assertThat(knows(reading, joining)).as("the other one did not yet").isFalse();
            long redirects = reading.counter("cluster.rc.redirects");
            cluster.cli("--cluster", "reshard", from.address(), "--cluster-from", cluster.nodeId(from),
                    "--cluster-to", cluster.nodeId(joining), "--cluster-slots", "500", "--cluster-yes");
            long reshardedAt = System.nanoTime();
            Thread.sleep(1000);
            traffic.stop();
            System.out.printf("add-node: connected %d ms after add-node (map refresh); reshard of 500 slots to it %d ms; %d operations,"
                            + " %d redirections followed, %d client errors%n",
                    TimeUnit.NANOSECONDS.toMillis(connectedAt - started), TimeUnit.NANOSECONDS.toMillis(reshardedAt - connectedAt),
                    traffic.operations.get(), reading.counter("cluster.rc.redirects") - redirects, traffic.errors.size());
            assertThat(traffic.errors).as("client errors: %s", traffic.firstError).isEmpty();
            assertThat(knows(reading, joining)).as("connected after the first redirection to it").isTrue();
            assertThat(cluster.slotsOf(joining).stream().mapToInt(r -> r[1] - r[0] + 1).sum()).isEqualTo(500);
            try (Jedis direct = node(joining)) {
                assertThat(direct.dbSize()).as("the traffic's keys of its slots").isPositive();
            }
            try (Jedis client = new Jedis("127.0.0.1", masterReads, 10_000); Jedis other = direct(single)) {
                for (int i = 0; i < 2000; i += 7) {
                    assertThat(client.get("j" + i)).as("j%d", i).isEqualTo(other.get("j" + i));
                }
            }
        }
    }

    private static boolean knows(Daemon daemon, RedisServer node) {
        return daemon.engine.plan().clusters().get(0).nodes().stream().anyMatch(n -> n.toString().equals(node.address()))
                && daemon.engine.clusterStatus().stream().filter(c -> c.name().equals("rc")).flatMap(c -> c.nodes().stream())
                .anyMatch(n -> n.address().equals(node.address()) && n.up());
    }

    @Test
    @Order(5)
    void withItsReplicaKilledAMastersSlotsAreReadFromTheMasterWithoutClientErrors() throws Exception {
        int probe = 2;
        while (cluster.replicasOf(cluster.ownerOf(slotOf("k" + probe))).isEmpty()) {
            probe++; // a key of a master that has a replica (the master added above has none)
        }
        String key = "k" + probe;
        RedisServer master = cluster.ownerOf(slotOf(key));
        List<String> ofMaster = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            if (cluster.ownerOf(slotOf("k" + i)) == master) {
                ofMaster.add("k" + i);
            }
        }
        RedisServer replica = cluster.replicasOf(master).get(0);
        awaitReplicas();
        resetStats();
        replica.kill();
        try (Jedis client = proxy()) {
            for (String each : ofMaster) {
                assertThat(client.get(each)).as(each).isEqualTo(each.equals("k1") ? "changed" : "v" + each.substring(1));
            }
        }
        assertThat(stat(master, "keyspace_hits")).as("read from the master now").isEqualTo(ofMaster.size());

        // read-from: replica does without the master: with no replica up, another cluster serves
        try (Jedis other = direct(single)) {
            other.set(key, "on the other cluster");
        }
        int replicaOnly = FreePorts.find();
        try (Daemon strict = Daemon.start(config(replicaOnly, "replica", PASSWORD))) {
            strict.awaitHealthy();
            try (Jedis client = new Jedis("127.0.0.1", replicaOnly, 10_000)) {
                assertThat(client.get(key)).isEqualTo("on the other cluster");
                assertThat(client.get(otherShardKey(master))).as("a shard with its replica up: read there")
                        .startsWith("v");
            }
        }
        try (Jedis client = proxy()) {
            assertThat(client.get(key)).as("replica-preferred: the master").isEqualTo("v" + probe);
        }
    }

    private static String otherShardKey(RedisServer master) {
        for (int i = 2; ; i++) {
            if (cluster.ownerOf(slotOf("k" + i)) != master) {
                return "k" + i;
            }
        }
    }

    private static int slotOf(String key) {
        return ((Long) cluster.call(cluster.masters().get(0), "CLUSTER", "KEYSLOT", key)).intValue();
    }
}
