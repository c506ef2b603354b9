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
 * RESETSTAT}). The tests run in order: later ones kill a replica.
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
    }

    static String config(int port, String readFrom, String password) {
        return """
                replay: { dir: "" }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [rc, single]
                    write: { policy: all }
                clusters:
                  - name: rc
                    local: true
                    topology: redis-cluster
                    topology-options: { refresh-ms: 300, read-from: %s }
                    %s
                    nodes: [%s]
                  - name: single
                    nodes: [%s]
                """.formatted(port, readFrom, password == null ? "" : "password: " + password,
                cluster.servers.get(0).address(), single.address());
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
    void withItsReplicaKilledAMastersSlotsAreReadFromTheMasterWithoutClientErrors() throws Exception {
        RedisServer master = cluster.ownerOf(slotOf("k7"));
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
            for (String key : ofMaster) {
                assertThat(client.get(key)).as(key).isEqualTo(key.equals("k1") ? "changed" : "v" + key.substring(1));
            }
        }
        assertThat(stat(master, "keyspace_hits")).as("read from the master now").isEqualTo(ofMaster.size());

        // read-from: replica does without the master: with no replica up, another cluster serves
        try (Jedis other = direct(single)) {
            other.set("k7", "on the other cluster");
        }
        int replicaOnly = FreePorts.find();
        try (Daemon strict = Daemon.start(config(replicaOnly, "replica", PASSWORD))) {
            strict.awaitHealthy();
            try (Jedis client = new Jedis("127.0.0.1", replicaOnly, 10_000)) {
                assertThat(client.get("k7")).isEqualTo("on the other cluster");
                assertThat(client.get(otherShardKey(master))).as("a shard with its replica up: read there")
                        .startsWith("v");
            }
        }
        try (Jedis client = proxy()) {
            assertThat(client.get("k7")).as("replica-preferred: the master").isEqualTo("v7");
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
