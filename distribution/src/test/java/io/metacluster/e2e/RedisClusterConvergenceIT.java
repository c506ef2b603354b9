package io.metacluster.e2e;

import com.codahale.metrics.Meter;
import io.metacluster.engine.ResyncOrders;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verification, scrub, replay and resync with a real Redis Cluster (three masters, one replica
 * each) as cluster {@code rc} and a single redis-server as cluster {@code single}: what they do
 * for one node they do per master. Divergence and outages are made behind the daemon's back, on
 * the masters directly. The tests run in order on one Redis Cluster; the first runs a daemon of
 * its own with verification and scrub, the others share one without (a scrub repairing what
 * replay and resync must repair would hide their failures).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterConvergenceIT {
    static final int KEYS = 600;
    static RedisClusterBesideSingle setup;
    static RedisClusterNodes cluster;
    static RedisServer single;
    static Daemon daemon;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        setup = RedisClusterBesideSingle.start(3, 1, (port, seed, single) -> """
                backend: { suspect-after-ms: 300, request-timeout-ms: 2000 }
                replay: { dir: "" }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [rc, single]
                    write: { policy: first }
                %s""".formatted(port, clusters(60_000, seed, single)));
        cluster = setup.cluster();
        single = setup.single();
        daemon = setup.daemon();
        port = setup.port();
    }

    /** The two clusters; the Redis Cluster's map read again every {@code refreshMs}. */
    static String clusters(int refreshMs, String seed, String single) {
        return """
                clusters:
                  - name: rc
                    local: true
                    topology: redis-cluster
                    topology-options: { refresh-ms: %d }
                    nodes: [%s]
                  - name: single
                    nodes: [%s]
                """.formatted(refreshMs, seed, single);
    }

    @AfterAll
    static void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    static int slotOf(String key) {
        return ((Long) cluster.servers.get(0).call("CLUSTER", "KEYSLOT", key)).intValue();
    }

    /** {@code key}'s value on the master that owns its slot, behind the proxy's back. */
    static Object onOwner(String key) {
        return cluster.ownerOf(slotOf(key)).call("GET", key);
    }

    static void writeThrough(int port, String prefix, int keys, String value) {
        try (RespClient client = RespClient.connect(port)) {
            for (int i = 0; i < keys; i++) {
                client.send("SET", prefix + i, value + i);
            }
            for (int i = 0; i < keys; i++) {
                assertThat(client.read()).isEqualTo("OK");
            }
        }
    }

    /** Every key of both clusters: the same keys, the same values (strings only here). */
    static void assertSameEverywhere() {
        List<String> inCluster = new ArrayList<>();
        for (RedisServer master : cluster.masters()) {
            for (Object key : (List<?>) master.call("KEYS", "*")) {
                inCluster.add((String) key);
            }
        }
        List<?> inSingle = (List<?>) single.call("KEYS", "*");
        assertThat(inCluster).as("keys of the Redis Cluster's masters, each on one").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(inSingle.stream().map(String.class::cast).toList());
        for (String key : inCluster) {
            assertThat(onOwner(key)).as(key).isEqualTo(single.call("GET", key));
        }
    }

    static void await(String what, int seconds, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static long meter(Daemon on, String listener, String name) {
        Meter meter = on.engine.metrics().getMeters().get("listener." + listener + ".verify." + name);
        return meter == null ? 0 : meter.getCount();
    }

    @Test
    @Order(1)
    void divergenceOnAnyMasterIsFoundByReadVerificationAndByAScrubThatWalksEveryMaster() throws Exception {
        writeThrough(port, "v:", KEYS, "x");
        int verifyPort = FreePorts.find();
        int scrubPort = FreePorts.find();
        try (Daemon checking = Daemon.start("""
                listeners:
                  - name: reads
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [rc, single]
                    verify: { strategy: sampled, rate: 1, repair: local-wins, recheck-delay-ms: 20 }
                  - name: scrub
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [rc, single]
                    verify: { strategy: sampled, rate: 0, repair: local-wins, recheck-delay-ms: 20,
                              scrub: { keys-per-second: 100000 } }
                %s""".formatted(verifyPort, scrubPort, clusters(300, cluster.servers.get(0).address(), single.address())))) {
            checking.awaitHealthy();
            // read verification: the single server's copy of a key of each master differs; the local one wins
            List<String> read = new ArrayList<>();
            for (RedisServer master : cluster.masters()) {
                String key = ((List<?>) master.call("KEYS", "v:*")).get(0).toString();
                single.call("SET", key, "diverged");
                read.add(key);
            }
            long mismatches = meter(checking, "reads", "mismatch");
            try (RespClient client = RespClient.connect(verifyPort)) {
                for (String key : read) {
                    assertThat(client.call("GET", key)).isEqualTo(onOwner(key));
                }
            }
            await("read verification repaired the single server's copies", 10,
                    () -> read.stream().allMatch(key -> onOwner(key).equals(single.call("GET", key))));
            assertThat(meter(checking, "reads", "mismatch") - mismatches).isEqualTo(read.size());

            // the scrub: a key only on each master (SCAN is per node: only a walk of every master finds them all), a
            // value changed on each master, a key the single server alone holds
            long repaired = meter(checking, "scrub", "scrub.repaired");
            int injected = 0;
            for (RedisServer master : cluster.masters()) {
                List<?> keys = (List<?>) master.call("KEYS", "v:*");
                master.call("SET", keys.get(1), "changed on " + master.port());
                String only = "only:" + master.port();
                for (int i = 0; !master.equals(cluster.ownerOf(slotOf(only))); i++) {
                    only = "only:" + master.port() + ":" + i;
                }
                master.call("SET", only, "here");
                injected += 2;
            }
            single.call("SET", "only:single", "there");
            injected++;
            long target = repaired + injected;
            await("the scrub repaired every injected divergence", 60, () -> meter(checking, "scrub", "scrub.repaired") >= target);
            assertThat(single.call("EXISTS", "only:single")).as("local-wins: what the local lacks goes").isEqualTo(0L);

            // two passes, from one pass's end to another's, scan each key of each cluster twice, give or take what the
            // counters had not caught up with when read (a walk of the replicas too, which list their masters' keys
            // again, would scan half as many more)
            long keys = (Long) single.call("DBSIZE");
            for (RedisServer master : cluster.masters()) {
                keys += (Long) master.call("DBSIZE");
            }
            long[] atEnd = afterPassEnds(checking);
            long[] twoLater = afterPassEnds(checking);
            twoLater = twoLater[0] == atEnd[0] + 1 ? afterPassEnds(checking) : twoLater;
            assertThat(twoLater[0]).isEqualTo(atEnd[0] + 2);
            assertThat(twoLater[1] - atEnd[1]).as("keys scanned in two passes").isBetween(2 * keys - keys / 4, 2 * keys + keys / 4);
        }
        assertSameEverywhere();
    }

    /** Waits for the scrub's next pass to end: then the passes and the keys scanned so far. */
    static long[] afterPassEnds(Daemon on) throws InterruptedException {
        long passes = meter(on, "scrub", "scrub.passes");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (meter(on, "scrub", "scrub.passes") == passes) {
            assertThat(System.nanoTime()).as("a scrub pass ends").isLessThan(deadline);
            Thread.sleep(1);
        }
        return new long[] {meter(on, "scrub", "scrub.passes"), meter(on, "scrub", "scrub.scanned")};
    }

    @Test
    @Order(2)
    void writesKeptForAMasterThatLostItsSlotsMeanwhileFollowMovedToTheNewOwnerWhenReplayed() throws Exception {
        int slot = slotOf("{rp}");
        RedisServer master = cluster.ownerOf(slot);
        RedisServer replica = cluster.replicaOf(master);
        long recorded = daemon.counter("cluster.rc.replay.recorded");
        long redirects = daemon.counter("cluster.rc.redirects");
        // unreachable for clients (the daemon), not for the cluster bus: the failover below reaches it at once
        master.call("CLIENT", "PAUSE", "3000", "ALL");
        writeThrough(port, "{rp}a", 20, "before");
        replica.call("CLUSTER", "FAILOVER", "TAKEOVER");
        await("the replica took the slots over", 10, () -> !RedisClusterNodes.slotRanges(replica).isEmpty());
        // the daemon's map (refreshed every minute here) still names the paused master: these are kept for it too
        writeThrough(port, "{rp}b", 20, "after");
        await("every kept write reached the new owner", 30, () -> {
            for (int i = 0; i < 20; i++) {
                if (!("before" + i).equals(replica.call("GET", "{rp}a" + i)) || !("after" + i).equals(replica.call("GET", "{rp}b" + i))) {
                    return false;
                }
            }
            return true;
        });
        System.out.printf("replay after a failover: %d writes kept, %d redirections followed%n",
                daemon.counter("cluster.rc.replay.recorded") - recorded, daemon.counter("cluster.rc.redirects") - redirects);
        assertThat(daemon.counter("cluster.rc.replay.recorded") - recorded).as("kept for the paused master").isEqualTo(40);
        assertThat(daemon.counter("cluster.rc.redirects") - redirects).as("replayed to it, MOVED").isGreaterThanOrEqualTo(40);
        await("the old master is a replica", 10, () -> RedisClusterNodes.slotRanges(master).isEmpty());
        assertSameEverywhere();
    }

    @Test
    @Order(3)
    void aMasterRestartedEmptyIsResyncedFromTheSingleServerAndTheSingleServerFromEveryMaster() throws Exception {
        writeThrough(port, "rs:", KEYS, "r");
        RedisServer master = cluster.ownerOf(slotOf("rs:0"));
        // its replica must not take over while it is down: the restarted master itself is to be refilled
        cluster.replicaOf(master).call("CONFIG", "SET", "cluster-replica-no-failover", "yes");
        long completed = daemon.counter("cluster.rc.resync.completed");
        master.restart();
        await("the restarted master was resynchronised", 60, () -> daemon.counter("cluster.rc.resync.completed") > completed);
        assertThat(daemon.counter("cluster.rc.resync.completed")).as("that master alone").isEqualTo(completed + 1);
        assertThat(master.call("GET", "rs:0")).isEqualTo("r0");
        cluster.awaitOk();
        assertSameEverywhere();

        long keys = (Long) single.call("DBSIZE");
        long walked = daemon.counter("cluster.single.resync.keys-walked");
        long singleCompleted = daemon.counter("cluster.single.resync.completed");
        single.restart();
        await("the single server was resynchronised", 60, () -> daemon.counter("cluster.single.resync.completed") > singleCompleted);
        assertThat(daemon.counter("cluster.single.resync.keys-walked") - walked).as("each master walked once, no replica")
                .isEqualTo(keys);
        assertThat(single.call("DBSIZE")).isEqualTo(keys);
        assertSameEverywhere();

        ResyncOrders.Answer answer = daemon.engine.resync("rc", null);
        assertThat(answer.nodes()).as("an operator's resync of the whole Redis Cluster: its masters")
                .containsExactlyInAnyOrderElementsOf(cluster.masters().stream().map(m -> "rc/" + m.address()).toList());
        long rcCompleted = daemon.counter("cluster.rc.resync.completed");
        await("every master resynchronised", 60, () -> daemon.counter("cluster.rc.resync.completed") >= rcCompleted + 3);
        assertSameEverywhere();
    }

    @Test
    @Order(4)
    void aMasterThatNoReplicaReplacesGetsTheWritesItMissedWhenItAnswersAgain() throws Exception {
        // a cache cluster that keeps serving the other masters' slots while one is failed
        for (RedisServer server : cluster.servers) {
            server.call("CONFIG", "SET", "cluster-require-full-coverage", "no");
        }
        RedisServer master = cluster.ownerOf(slotOf("{nr}"));
        cluster.replicaOf(master).call("CONFIG", "SET", "cluster-replica-no-failover", "yes");
        long recorded = daemon.counter("cluster.rc.replay.recorded");
        master.freeze();
        try {
            writeThrough(port, "{nr}", 30, "during");
            Thread.sleep(1500); // past cluster-node-timeout: the other masters mark it failed, and go on serving
            writeThrough(port, "nr:", 200, "during");
        } finally {
            master.thaw();
        }
        await("the thawed master got every write it missed", 30, () -> {
            for (int i = 0; i < 30; i++) {
                if (!("during" + i).equals(master.call("GET", "{nr}" + i))) {
                    return false;
                }
            }
            return true;
        });
        assertThat(daemon.counter("cluster.rc.replay.recorded") - recorded).as("its writes alone were kept")
                .isBetween(30L, 30L + 200);
        cluster.awaitOk();
        assertSameEverywhere();
    }
}
