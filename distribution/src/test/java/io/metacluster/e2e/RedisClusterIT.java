package io.metacluster.e2e;

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
import redis.clients.jedis.exceptions.JedisDataException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real Redis Cluster (three masters, one replica each, {@code topology: redis-cluster}, one
 * seed listed) as the local cluster next to a single redis-server, through the daemon with
 * Jedis, write policy {@code all} so that a write the Redis Cluster fails reaches the client.
 * The tests run in order: the last ones reshard and fail over the cluster.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterIT {
    static RedisClusterNodes cluster;
    static RedisServer single;
    static Daemon daemon;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedisClusterNodes.start(3, 1);
        single = RedisServer.start();
        port = FreePorts.find();
        daemon = Daemon.start(RedisClusterBesideSingle.yaml(port, single.address(),
                "topology-options: { refresh-ms: 300 }", "nodes: [" + cluster.servers.get(0).address() + "]"));
        daemon.awaitHealthy();
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

    private static int slotOf(String key) {
        try (Jedis direct = direct(cluster.masters().get(0))) {
            return (int) direct.clusterKeySlot(key);
        }
    }

    /** The value of {@code key} on the master that owns its slot, read behind the proxy's back. */
    private static String onOwner(String key) {
        try (Jedis direct = direct(cluster.ownerOf(slotOf(key)))) {
            return direct.get(key);
        }
    }

    @Test
    @Order(1)
    void theDaemonFoundEveryNodeFromOneSeedAndEachKeyGoesToTheMasterOfItsSlot() {
        assertThat(daemon.engine.plan().clusters().get(0).nodes()).as("masters and replicas, from one seed").hasSize(6);
        try (Jedis client = proxy()) {
            for (int i = 0; i < 300; i++) {
                assertThat(client.set("k" + i, "v" + i)).isEqualTo("OK");
            }
            for (int i = 0; i < 300; i++) {
                assertThat(client.get("k" + i)).isEqualTo("v" + i);
            }
        }
        long total = 0;
        for (RedisServer master : cluster.masters()) {
            try (Jedis direct = direct(master)) {
                long keys = direct.dbSize();
                assertThat(keys).as("%s holds a share", master.address()).isBetween(50L, 150L);
                total += keys;
            }
        }
        assertThat(total).as("each key on one master").isEqualTo(300);
        for (int i = 0; i < 300; i += 7) {
            assertThat(onOwner("k" + i)).isEqualTo("v" + i);
        }
        try (Jedis direct = direct(single)) {
            assertThat(direct.dbSize()).isEqualTo(300);
        }
    }

    @Test
    @Order(2)
    void multiKeyCommandsAreSplitBySlotAndJoinedInTheClientsOrder() {
        List<String> keysAndValues = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add("m" + i);
            keysAndValues.add("m" + i);
            keysAndValues.add("value" + i);
        }
        assertThat(keys.stream().map(RedisClusterIT::slotOf).distinct().count()).as("twenty slots").isEqualTo(20);
        try (Jedis client = proxy()) {
            assertThat(client.mset(keysAndValues.toArray(String[]::new))).isEqualTo("OK");
            List<String> asked = new ArrayList<>(List.of("nope1", "m3", "m17", "m3", "nope2", "m0", "m19"));
            assertThat(client.mget(asked.toArray(String[]::new)))
                    .containsExactly(null, "value3", "value17", "value3", null, "value0", "value19");
            try (Jedis direct = direct(single)) {
                assertThat(client.mget(keys.toArray(String[]::new))).isEqualTo(direct.mget(keys.toArray(String[]::new)));
            }
            assertThat(client.exists("m1", "m2", "nope", "m1")).isEqualTo(3);
            assertThat(client.touch("m1", "m2", "nope")).isEqualTo(2);
            assertThat(client.del("m1", "m2", "nope")).isEqualTo(2);
            assertThat(client.unlink("m3", "m4", "m4", "nope")).isEqualTo(2);
            assertThat(client.mget("m1", "m3", "m5")).containsExactly(null, null, "value5");
        }
        for (int i = 5; i < 20; i++) {
            assertThat(onOwner("m" + i)).isEqualTo("value" + i);
        }
        try (Jedis direct = direct(single)) {
            assertThat(direct.exists("m1", "m2", "m3", "m4")).isZero();
        }
    }

    @Test
    @Order(3)
    void otherCommandsOverSeveralSlotsGetTheClustersOwnCrossSlotError() {
        String expected;
        try (Jedis direct = direct(cluster.servers.get(0))) {
            expected = assertThatThrownBy(() -> direct.sinter("a", "b")).isInstanceOf(JedisDataException.class)
                    .actual().getMessage();
        }
        assertThat(expected).startsWith("CROSSSLOT Keys in ");
        try (Jedis client = proxy()) {
            client.sadd("a", "1", "2");
            client.sadd("b", "2", "3");
            assertThatThrownBy(() -> client.sinter("a", "b")).isInstanceOf(JedisDataException.class).hasMessage(expected);
            client.sadd("{t}a", "1", "2");
            client.sadd("{t}b", "2", "3");
            assertThat(client.sinter("{t}a", "{t}b")).as("hash-tagged: one slot").containsExactly("2");
            assertThat(client.sinterstore("{t}c", "{t}a", "{t}b")).isEqualTo(1);
            assertThat(onOwnerMembers("{t}c")).containsExactly("2");
            assertThat(client.get("k1")).as("the connection goes on").isEqualTo("v1");
        }
    }

    private static List<String> onOwnerMembers(String key) {
        try (Jedis direct = direct(cluster.ownerOf(slotOf(key)))) {
            return new ArrayList<>(direct.smembers(key));
        }
    }

    @Test
    @Order(4)
    void keylessWritesReachEveryMasterAndKeylessReadsAnotherCluster() {
        try (Jedis client = proxy()) {
            long onSingle;
            try (Jedis direct = direct(single)) {
                onSingle = direct.dbSize();
            }
            assertThat(client.dbSize()).as("a keyless read: served by the single-node cluster").isEqualTo(onSingle);
            assertThat(client.flushAll()).isEqualTo("OK");
        }
        for (RedisServer master : cluster.masters()) {
            try (Jedis direct = direct(master)) {
                assertThat(direct.dbSize()).as("%s", master.address()).isZero();
            }
        }
        try (Jedis direct = direct(single)) {
            assertThat(direct.dbSize()).isZero();
        }
    }

    @Test
    @Order(4)
    void aTransactionOnOneSlotRunsOnItsMasterAndPubSubWorks() throws Exception {
        try (Jedis client = proxy()) {
            redis.clients.jedis.Transaction multi = client.multi();
            multi.set("{tx}a", "1");
            multi.incr("{tx}b");
            multi.get("{tx}a");
            assertThat(multi.exec()).containsExactly("OK", 1L, "1");
        }
        assertThat(onOwner("{tx}a")).isEqualTo("1");
        assertThat(onOwner("{tx}b")).isEqualTo("1");
        try (Jedis direct = direct(single)) {
            assertThat(direct.get("{tx}b")).isEqualTo("1");
        }
        java.util.concurrent.BlockingQueue<String> heard = new java.util.concurrent.LinkedBlockingQueue<>();
        redis.clients.jedis.JedisPubSub subscriber = new redis.clients.jedis.JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                heard.add(channel + "=" + message);
            }

            @Override
            public void onSubscribe(String channel, int subscribedChannels) {
                heard.add("subscribed");
            }
        };
        Jedis listening = proxy();
        Thread thread = new Thread(() -> listening.subscribe(subscriber, "news"));
        thread.start();
        assertThat(heard.poll(10, TimeUnit.SECONDS)).isEqualTo("subscribed");
        try (Jedis client = proxy()) {
            assertThat(client.publish("news", "hello")).as("receivers on the read cluster").isEqualTo(1);
        }
        assertThat(heard.poll(10, TimeUnit.SECONDS)).isEqualTo("news=hello");
        assertThat(heard.poll(300, TimeUnit.MILLISECONDS)).as("heard once: published on one master").isNull();
        subscriber.unsubscribe();
        thread.join(10_000);
        listening.close();

        // a shard channel lives in a slot: SSUBSCRIBE and SPUBLISH go to its master
        Jedis shardListening = proxy();
        Thread shardThread = new Thread(() -> shardListening.sendCommand(() -> "SSUBSCRIBE".getBytes(), "orders"));
        shardThread.start();
        Thread.sleep(300);
        try (Jedis client = proxy()) {
            assertThat(client.sendCommand(() -> "SPUBLISH".getBytes(), "orders", "o1")).as("receivers on the read cluster")
                    .isEqualTo(1L);
        }
        try (Jedis owner = direct(cluster.ownerOf(slotOf("orders")))) {
            assertThat(((List<?>) owner.sendCommand(() -> "PUBSUB".getBytes(), "SHARDNUMSUB", "orders")).get(1))
                    .as("subscribed on the channel's master").isEqualTo(1L);
        }
        shardListening.close();
        shardThread.join(10_000);
    }

    @Test
    @Order(5)
    void askDuringASlotMigrationIsFollowedOnTheImportingNode() throws Exception {
        String moved = "ask:moved";
        String fresh = "{ask:moved}fresh";
        int slot = slotOf(moved);
        RedisServer source = cluster.ownerOf(slot);
        RedisServer target = cluster.masters().stream().filter(m -> m != source).findFirst().orElseThrow();
        try (Jedis client = proxy()) {
            client.set(moved, "before");
        }
        long redirects = daemon.counter("cluster.rc.redirects");
        try (Jedis from = direct(source); Jedis to = direct(target)) {
            to.clusterSetSlotImporting(slot, RedisClusterNodes.id(source));
            from.clusterSetSlotMigrating(slot, RedisClusterNodes.id(target));
            from.migrate("127.0.0.1", target.port(), moved, 0, 5000);
            try (Jedis client = proxy()) {
                assertThat(client.get(moved)).as("ASK: read on the importing node").isEqualTo("before");
                assertThat(client.set(moved, "after")).isEqualTo("OK");
                assertThat(client.set(fresh, "new")).as("a key the source lacks: ASK").isEqualTo("OK");
            }
            assertThat(daemon.counter("cluster.rc.redirects") - redirects).as("three ASKs followed").isEqualTo(3);
            assertThat(from.clusterCountKeysInSlot(slot)).as("nothing written on the source").isZero();
            to.asking();
            assertThat(to.get(moved)).isEqualTo("after");
            to.asking();
            assertThat(to.get(fresh)).isEqualTo("new");
            for (RedisServer master : cluster.masters()) {
                try (Jedis any = direct(master)) {
                    any.clusterSetSlotNode(slot, RedisClusterNodes.id(target));
                }
            }
        }
        try (Jedis client = proxy()) {
            assertThat(client.get(moved)).as("MOVED after the migration: the map follows").isEqualTo("after");
            assertThat(client.mget(moved, fresh)).containsExactly("after", "new");
        }
        assertThat(cluster.ownerOf(slot)).isSameAs(target);
    }

    @Test
    @Order(6)
    void aLiveReshardOfAThousandSlotsDuringTrafficCostsNoClientError() throws Exception {
        try (Jedis client = proxy()) {
            for (int i = 0; i < 3000; i++) {
                client.set("r" + i, "0");
            }
        }
        List<RedisServer> masters = cluster.masters();
        RedisServer from = masters.get(0);
        RedisServer to = masters.get(1);
        int before = slotCount(from);
        long redirects = daemon.counter("cluster.rc.redirects");
        long started = System.nanoTime();
        Traffic traffic = Traffic.start(port, "r", 3000);
        Thread.sleep(300);
        RedisClusterNodes.run(List.of(RedisClusterNodes.CLI, "--cluster", "reshard", from.address(),
                "--cluster-from", RedisClusterNodes.id(from), "--cluster-to", RedisClusterNodes.id(to),
                "--cluster-slots", "1000", "--cluster-yes"));
        Thread.sleep(500);
        traffic.stop();
        System.out.printf("reshard of 1000 slots: %d ms, %d operations, %d redirections followed, %d errors%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), traffic.operations.get(),
                daemon.counter("cluster.rc.redirects") - redirects, traffic.errors.size());
        assertThat(slotCount(from)).as("a thousand slots moved").isEqualTo(before - 1000);
        assertThat(traffic.errors).as("client errors during the reshard: %s", traffic.firstError).isEmpty();
        assertThat(traffic.operations.get()).as("traffic ran during the reshard").isGreaterThan(1000);
        try (Jedis client = proxy(); Jedis direct = direct(single)) {
            for (int i = 0; i < 3000; i += 11) {
                String key = "r" + i;
                assertThat(client.get(key)).isEqualTo(direct.get(key)).isEqualTo(onOwner(key));
            }
        }
    }

    @Test
    @Order(7)
    void aKilledMasterIsReplacedByItsReplicaWhichGetsTheWritesItMissed() throws Exception {
        int slot = slotOf("r1");
        RedisServer victim = cluster.ownerOf(slot);
        Traffic traffic = Traffic.start(port, "r", 3000);
        Thread.sleep(300);
        long killedAt = System.nanoTime();
        victim.kill();
        RedisServer promoted = null;
        while (promoted == null && System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(30)) {
            try {
                promoted = cluster.ownerOf(slot);
            } catch (IllegalStateException notYet) {
                Thread.sleep(50);
            }
        }
        long promotedAt = System.nanoTime();
        assertThat(promoted).as("a replica took the slots over").isNotNull().isNotSameAs(victim);
        cluster.awaitOk();
        daemon.awaitHealthy();
        long settledAt = System.nanoTime();
        long operationsBefore = traffic.operations.get();
        Thread.sleep(2000);
        traffic.stop();
        long errorsAfter = traffic.errors.stream().filter(at -> at > settledAt).count();
        System.out.printf("failover: promoted %d ms after the kill, proxy healthy %d ms after it, last client error %d ms after it,"
                        + " %d client errors in all, %d operations after%n",
                TimeUnit.NANOSECONDS.toMillis(promotedAt - killedAt), TimeUnit.NANOSECONDS.toMillis(settledAt - killedAt),
                traffic.errors.isEmpty() ? -1 : TimeUnit.NANOSECONDS.toMillis(traffic.lastErrorNanos - killedAt),
                traffic.errors.size(), traffic.operations.get() - operationsBefore);
        System.out.println("failover: client errors by kind " + traffic.errorKinds + ", recorded for replay "
                + daemon.counter("cluster.rc.replay.recorded"));
        assertThat(errorsAfter).as("no client error once the cluster failed over: %s", traffic.firstError).isZero();
        assertThat(traffic.operations.get() - operationsBefore).as("traffic went on").isGreaterThan(200);
        int pending = daemon.engine.clusterStatus().stream().filter(c -> c.name().equals("rc"))
                .flatMap(c -> c.nodes().stream()).filter(n -> n.address().equals(victim.address()))
                .mapToInt(n -> n.replayPending()).sum();
        assertThat(traffic.errors).as("writes failed while the slots had no master").isNotEmpty();
        assertThat(traffic.errorKinds.keySet()).as("CLUSTERDOWN is waited out, not shown")
                .allMatch(kind -> kind.startsWith("ERR SET failed on "));
        assertThat(daemon.counter("cluster.rc.replay.recorded")).as("writes sent to the dead master were kept for replay")
                .isPositive();
        assertThat(pending).as("and handed to the promoted master").isZero();
        try (Jedis client = proxy(); Jedis direct = direct(single)) {
            assertThat(client.set("r1", "after")).isEqualTo("OK");
            assertThat(onOwner("r1")).isEqualTo("after");
            for (int i = 0; i < 3000; i++) {
                String key = "r" + i;
                assertThat(client.get(key)).as("%s as on the other cluster", key).isEqualTo(direct.get(key));
            }
        }
    }

    private static int slotCount(RedisServer master) {
        return RedisClusterNodes.slotRanges(master).stream().mapToInt(r -> r[1] - r[0] + 1).sum();
    }
}
