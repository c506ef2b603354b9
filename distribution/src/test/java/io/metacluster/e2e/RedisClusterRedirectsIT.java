package io.metacluster.e2e;

import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions, WATCH and blocking commands on a Redis Cluster whose slots move under them
 * (three masters, no replicas, next to a single redis-server; write policy {@code all}, so that a
 * failure on the Redis Cluster reaches the client), over raw sockets. The proxy's map is refreshed
 * only every minute here, so that after a slot is moved behind its back the first request for
 * it meets {@code MOVED} for sure. Each test moves a slot of its own.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisClusterRedirectsIT {
    static RedisClusterBesideSingle setup;
    static RedisClusterNodes cluster;
    static RedisServer single;
    static Daemon daemon;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        setup = RedisClusterBesideSingle.start(3, 0, (port, seed, single) -> RedisClusterBesideSingle.yaml(port, single,
                "topology-options: { refresh-ms: 60000 }", "nodes: [" + seed + "]"));
        cluster = setup.cluster();
        single = setup.single();
        daemon = setup.daemon();
        port = setup.port();
    }

    @AfterAll
    static void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    private static int slotOf(String key) {
        return ((Long) cluster.servers.get(0).call("CLUSTER", "KEYSLOT", key)).intValue();
    }

    /** A master other than the one that owns {@code slot} now. */
    private static RedisServer otherThanOwnerOf(int slot) {
        RedisServer owner = cluster.ownerOf(slot);
        return cluster.masters().stream().filter(master -> master != owner).findFirst().orElseThrow();
    }

    /** {@code GET key} on {@code node}, with ASKING first (it may be importing the slot). */
    private static Object askingGet(RedisServer node, String key) {
        try (RespClient direct = node.client()) {
            direct.call("ASKING");
            return direct.call("GET", key);
        }
    }

    private static long redirects() {
        return daemon.counter("cluster.rc.redirects");
    }

    @Test
    void aTransactionOnAMigratingSlotFollowsAskWithAskingBeforeMulti() throws Exception {
        int slot = slotOf("{tx1}");
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("SET", "{tx1}old", "0")).isEqualTo("OK");
        }
        RedisServer target = otherThanOwnerOf(slot);
        RedisServer source = cluster.beginMove(slot, target);
        long before = redirects();
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("MULTI")).isEqualTo("OK");
            assertThat(client.call("SET", "{tx1}a", "0")).isEqualTo("QUEUED");
            assertThat(client.call("INCR", "{tx1}a")).isEqualTo("QUEUED");
            assertThat(client.call("EXEC")).as("a key the source lacks: ASK, run on the importing node")
                    .isEqualTo(List.of("OK", 1L));
            assertThat(redirects() - before).as("one ASK").isEqualTo(1);
            assertThat(askingGet(target, "{tx1}a")).isEqualTo("1");
            assertThat(source.call("CLUSTER", "GETKEYSINSLOT", slot, 10)).as("nothing written on the source")
                    .isEqualTo(List.of("{tx1}old"));

            // one key on the source, one it lacks: ASK, then TRYAGAIN on the importing node (keys of one request on both
            // nodes), until the migration ends; so is any transaction over several keys of which the source lacks one
            CompletableFuture<Void> migration = CompletableFuture.runAsync(() -> {
                sleep(400);
                RedisClusterNodes.migrateKeys(slot, source, target);
                cluster.endMove(slot, target);
            });
            long started = System.nanoTime();
            assertThat(client.call("MULTI")).isEqualTo("OK");
            assertThat(client.call("SET", "{tx1}old", "1")).isEqualTo("QUEUED");
            assertThat(client.call("SET", "{tx1}new", "1")).isEqualTo("QUEUED");
            Object exec = execute(client, "EXEC");
            migration.get(10, TimeUnit.SECONDS);
            assertThat(exec).as("waited out the migration").isEqualTo(List.of("OK", "OK"));
            System.out.printf("transaction over a migrating slot: answered %d ms after EXEC, %d redirections%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), redirects() - before);
        }
        assertThat(cluster.ownerOf(slot)).isSameAs(target);
        try (RespClient onTarget = target.client()) {
            assertThat(onTarget.call("MGET", "{tx1}old", "{tx1}new", "{tx1}a")).isEqualTo(List.of("1", "1", "1"));
        }
        assertThat(single.call("MGET", "{tx1}old", "{tx1}new", "{tx1}a")).isEqualTo(List.of("1", "1", "1"));
    }

    @Test
    void aTransactionAfterItsSlotMovedIsSentAgainToTheNewOwner() {
        int slot = slotOf("{tx2}");
        RedisServer target = otherThanOwnerOf(slot);
        cluster.moveSlot(slot, target);
        long before = redirects();
        try (RespClient client = RespClient.connect(port)) {
            client.send("MULTI");
            client.send("SET", "{tx2}a", "1");
            client.send("INCR", "{tx2}b");
            client.send("EXEC");
            assertThat(List.of(client.read(), client.read(), client.read())).isEqualTo(List.of("OK", "QUEUED", "QUEUED"));
            assertThat(client.read()).as("MOVED on the stale owner: run on the new one").isEqualTo(List.of("OK", 1L));
        }
        assertThat(redirects() - before).isEqualTo(1);
        try (RespClient onTarget = target.client()) {
            assertThat(onTarget.call("MGET", "{tx2}a", "{tx2}b")).isEqualTo(List.of("1", "1"));
        }
    }

    @Test
    void aBlockedPopWhoseSlotMovesBlocksAgainOnTheNewOwner() throws Exception {
        int slot = slotOf("{bl}");
        RedisServer target = otherThanOwnerOf(slot);
        long before = redirects();
        try (RespClient popper = RespClient.connect(port); RespClient pusher = RespClient.connect(port)) {
            popper.send("BLPOP", "{bl}list", "20");
            Thread.sleep(300);
            // Redis unblocks a client blocked on a slot it no longer owns with MOVED
            cluster.moveSlot(slot, target);
            Thread.sleep(300);
            assertThat(redirects() - before).as("the MOVED was followed").isEqualTo(1);
            try (RespClient onTarget = target.client()) {
                assertThat(((String) onTarget.call("CLIENT", "LIST"))).as("blocked on the new owner").contains("cmd=blpop");
            }
            assertThat(pusher.call("RPUSH", "{bl}list", "v")).isEqualTo(1L);
            assertThat(popper.read()).isEqualTo(List.of("{bl}list", "v"));
            assertThat(popper.call("PING")).as("the client goes on").isEqualTo("PONG");
        }
        assertThat(target.call("EXISTS", "{bl}list")).isEqualTo(0L);
        for (int i = 0; i < 50 && !Long.valueOf(0).equals(single.call("EXISTS", "{bl}list")); i++) {
            Thread.sleep(20);
        }
        assertThat(single.call("EXISTS", "{bl}list")).as("the pop's effect reached the other cluster").isEqualTo(0L);
    }

    @Test
    void watchOnAMovedSlotIsPinnedAgainToTheNewOwnerAndItsTransactionRuns() {
        int slot = slotOf("{w1}");
        RedisServer target = otherThanOwnerOf(slot);
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("SET", "{w1}k", "0")).isEqualTo("OK");
            cluster.moveSlot(slot, target);
            long before = redirects();
            // pipelined: what follows WATCH waits for its reply, so that nothing reaches the stale owner behind it
            client.send("WATCH", "{w1}k");
            client.send("MULTI");
            client.send("INCR", "{w1}k");
            client.send("EXEC");
            assertThat(List.of(client.read(), client.read(), client.read())).isEqualTo(List.of("OK", "OK", "QUEUED"));
            assertThat(client.read()).isEqualTo(List.of(1L));
            assertThat(redirects() - before).isEqualTo(1);
        }
        try (RespClient onTarget = target.client()) {
            assertThat(onTarget.call("GET", "{w1}k")).isEqualTo("1");
        }
        for (int i = 0; i < 50 && !"1".equals(single.call("GET", "{w1}k")); i++) {
            sleep(20); // the transaction's propagation to the other cluster follows its reply
        }
        assertThat(single.call("GET", "{w1}k")).isEqualTo("1");
    }

    @Test
    void aSlotMovedBetweenWatchAndExecAbortsTheTransactionAsRedisClusterDoes() {
        int slot = slotOf("{w2}");
        RedisServer target = otherThanOwnerOf(slot);
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("SET", "{w2}k", "0")).isEqualTo("OK");
            assertThat(client.call("WATCH", "{w2}k")).isEqualTo("OK");
            cluster.moveSlot(slot, target);
            assertThat(client.call("MULTI")).isEqualTo("OK");
            client.send("INCR", "{w2}k");
            Object queued = client.read();
            assertThat(queued).as("the watching connection is on the old owner").isInstanceOf(RespClient.ServerError.class);
            assertThat(((RespClient.ServerError) queued).getMessage()).startsWith("MOVED " + slot + " ");
            client.send("EXEC");
            Object exec = client.read();
            assertThat(((RespClient.ServerError) exec).getMessage()).startsWith("EXECABORT");
            assertThat(client.call("INCR", "{w2}k")).as("the next command goes to the new owner").isEqualTo(1L);
        }
        assertThat(single.call("GET", "{w2}k")).as("nothing of the aborted transaction").isEqualTo("1");
    }

    /** Sends one command and reads its reply, an error reply included (as a {@link RespClient.ServerError}). */
    private static Object execute(RespClient client, Object... command) {
        client.send(command);
        return client.read();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
