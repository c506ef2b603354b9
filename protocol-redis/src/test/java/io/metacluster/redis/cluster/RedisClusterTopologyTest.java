package io.metacluster.redis.cluster;

import io.metacluster.spi.Command;
import io.metacluster.spi.NodeAccess;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Topology;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The redis-cluster topology against a real one-node Redis Cluster (every slot on one
 * cluster-enabled redis-server): slots as Redis computes them, the map as both
 * {@code CLUSTER SHARDS} and {@code CLUSTER SLOTS} give it, and MOVED/ASK understood.
 */
class RedisClusterTopologyTest {
    static RedisServer node;

    @BeforeAll
    static void start() throws Exception {
        node = RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf");
        node.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
        for (int i = 0; i < 200 && !String.valueOf(node.call("CLUSTER", "INFO")).contains("cluster_state:ok"); i++) {
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void slotsAreThoseRedisComputesHashTagsIncluded() {
        Random random = new Random(15);
        List<String> keys = new ArrayList<>(List.of("", "a", "{", "}", "{}", "{}x", "x{}", "{a}", "x{a}y", "{a}{b}",
                "{{a}}", "}{a}", "foo{}{bar}", "foo{{bar}}zap", "user:{42}:name", "{user1000}.following"));
        for (int i = 0; i < 500; i++) {
            StringBuilder key = new StringBuilder();
            int length = random.nextInt(12);
            for (int c = 0; c < length; c++) {
                key.append("ab{}:xyz0123456789".charAt(random.nextInt(18)));
            }
            keys.add(key.toString());
        }
        for (String key : keys) {
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            assertThat(HashSlot.of(Unpooled.wrappedBuffer(bytes), 0, bytes.length)).as("slot of '%s'", key)
                    .isEqualTo(((Long) node.call("CLUSTER", "KEYSLOT", key)).intValue());
        }
    }

    @Test
    void shardsAndSlotsGiveTheSameMap() throws Exception {
        List<SlotMapQuery.Shard> shards = SlotMapQuery.fromShards(new SlotMapQuery(2000, NodeAccess.PLAIN).call(node.address(), "CLUSTER", "SHARDS"),
                "127.0.0.1", false);
        List<SlotMapQuery.Shard> slots = SlotMapQuery.fromSlots(new SlotMapQuery(2000, NodeAccess.PLAIN).call(node.address(), "CLUSTER", "SLOTS"),
                "127.0.0.1");
        assertThat(shards).hasSize(1);
        assertThat(slots).hasSize(1);
        for (List<SlotMapQuery.Shard> map : List.of(shards, slots)) {
            assertThat(map.get(0).master()).isEqualTo(node.address());
            assertThat(map.get(0).ranges()).containsExactly(0, 16383);
            assertThat(map.get(0).replicas()).isEmpty();
        }
        assertThat(new SlotMapQuery(2000, NodeAccess.PLAIN).call(node.address(), "CLUSTER", "NOPE")).isInstanceOf(SlotMapQuery.Error.class);
    }

    @Test
    void mapQueriesSayAuthFirstWhenTheNodesWantAPassword() throws Exception {
        try (RedisServer guarded = RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--requirepass", "pw", "--user", "app", "on", ">apppw", "~*", "&*", "+@all")) {
            String at = guarded.address();
            assertThat(new SlotMapQuery(2000, NodeAccess.PLAIN).call(at, "CLUSTER", "MYID"))
                    .as("without AUTH: the node's refusal").isInstanceOf(SlotMapQuery.Error.class);
            assertThat(new SlotMapQuery(2000, NodeAccess.plain(null, "pw")).call(at, "CLUSTER", "MYID")).isInstanceOf(String.class);
            assertThat(new SlotMapQuery(2000, NodeAccess.plain("app", "apppw")).call(at, "CLUSTER", "MYID")).as("an ACL user")
                    .isInstanceOf(String.class);
            assertThatThrownBy(() -> new SlotMapQuery(2000, NodeAccess.plain(null, "wrong")).ask(at)).isInstanceOf(IOException.class)
                    .hasMessageContaining("refused AUTH: WRONGPASS").hasMessageNotContaining("wrong ");
        }
    }

    @Test
    void readFromTakesThreeValues() {
        assertThat(new RedisClusterOptions(0, 0).readFrom()).isEqualTo("master");
        assertThat(new RedisClusterOptions(0, 0, "replica-preferred").readsReplicas()).isTrue();
        assertThat(new RedisClusterOptions(0, 0, "replica").readsReplicas()).isTrue();
        assertThatThrownBy(() -> new RedisClusterOptions(0, 0, "slave")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("read-from: unknown value 'slave'; one of: master, replica-preferred, replica");
    }

    @Test
    void movedRepointsTheSlotAskDoesNotAndOtherErrorsAreLeftAlone() {
        String elsewhere = "127.0.0.1:" + FreePorts.find();
        RedisClusterTopology topology = new RedisClusterTopology(List.of(node.address(), elsewhere),
                new RedisClusterOptions(60_000, 500));
        assertThat(topology.discoveredNodes()).containsExactly(node.address(), elsewhere);
        assertThat(topology.serves(0)).isTrue();
        assertThat(topology.serves(1)).as("owns no slot").isFalse();
        Command get = command("GET", "user:{42}:name");
        int slot = ((Long) node.call("CLUSTER", "KEYSLOT", "42")).intValue();
        assertThat(topology.nodeFor(get)).isZero();

        Topology.Redirect ask = topology.redirect(reply("-ASK " + slot + " " + elsewhere + "\r\n"));
        assertThat(ask.node()).isEqualTo(1);
        assertThat(new String(ask.first(), StandardCharsets.US_ASCII)).isEqualTo("*1\r\n$6\r\nASKING\r\n");
        assertThat(topology.nodeFor(get)).as("ASK moves one request, not the slot").isZero();

        Topology.Redirect moved = topology.redirect(reply("-MOVED " + slot + " " + elsewhere + "\r\n"));
        assertThat(moved.node()).isEqualTo(1);
        assertThat(moved.first()).isNull();
        assertThat(topology.nodeFor(get)).as("MOVED repoints the slot").isEqualTo(1);

        Topology.Redirect unknown = topology.redirect(reply("-MOVED " + slot + " 127.0.0.1:1\r\n"));
        assertThat(unknown.node()).as("a node not connected to: wait for it to join").isEqualTo(Topology.SPANS_NODES);
        assertThat(unknown.delayMillis()).isPositive();
        assertThat(topology.redirect(reply("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"))).isNull();
        assertThat(topology.redirect(reply("-MOVED x y z\r\n"))).isNull();
        for (String settling : List.of("-CLUSTERDOWN The cluster is down\r\n", "-TRYAGAIN Multiple keys request during rehashing of slot\r\n")) {
            Topology.Redirect later = topology.redirect(reply(settling));
            assertThat(later.node()).as(settling).isEqualTo(Topology.SPANS_NODES);
            assertThat(later.delayMillis()).as(settling).isPositive();
        }
        assertThat(moved.delayMillis()).isZero();
        get.release();
        topology.close();
    }

    /** The replies as redis-server 7.0 gives them to {@code MULTI}, the queued commands and {@code EXEC} sent as one block. */
    @Test
    void aTransactionThatARedirectionAbortedIsRedirectedWholeOneThatRanIsNot() {
        String elsewhere = "127.0.0.1:" + FreePorts.find();
        RedisClusterTopology topology = new RedisClusterTopology(List.of(node.address(), elsewhere),
                new RedisClusterOptions(60_000, 500));
        Topology.Redirect moved = topology.redirect(reply("+OK\r\n+QUEUED\r\n-MOVED 12182 " + elsewhere
                + "\r\n-EXECABORT Transaction discarded because of previous errors.\r\n"));
        assertThat(moved.node()).as("a queued command was MOVED").isEqualTo(1);
        assertThat(moved.first()).isNull();
        Topology.Redirect ask = topology.redirect(reply("+OK\r\n-ASK 12182 " + elsewhere
                + "\r\n-EXECABORT Transaction discarded because of previous errors.\r\n"));
        assertThat(ask.node()).isEqualTo(1);
        assertThat(new String(ask.first(), StandardCharsets.US_ASCII)).as("ASKING before MULTI").isEqualTo("*1\r\n$6\r\nASKING\r\n");
        Topology.Redirect tryAgain = topology.redirect(reply("+OK\r\n+QUEUED\r\n+QUEUED\r\n"
                + "-TRYAGAIN Multiple keys request during rehashing of slot\r\n"));
        assertThat(tryAgain.delayMillis()).as("EXEC itself redirected: discarded").isPositive();
        assertThat(topology.redirect(reply("+OK\r\n-ERR unknown command 'NOPE'\r\n"
                + "-EXECABORT Transaction discarded because of previous errors.\r\n"))).as("aborted for another reason").isNull();
        assertThat(topology.redirect(reply("+OK\r\n+QUEUED\r\n*1\r\n$22\r\n-MOVED 1 127.0.0.1:9 x\r\n")))
                .as("an EXEC that ran, whatever its values hold").isNull();
        topology.close();
    }

    @Test
    void aNodeThatJoinsIsHandedToTheEngineBeforeItsIndexIsAnswered() throws Exception {
        try (RedisServer seed = RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf");
             RedisServer joining = RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")) {
            seed.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
            RedisClusterTopology topology = new RedisClusterTopology(List.of(seed.address()), new RedisClusterOptions(60_000, 500));
            java.util.concurrent.BlockingQueue<List<String>> asked = new java.util.concurrent.LinkedBlockingQueue<>();
            java.util.concurrent.atomic.AtomicBoolean accept = new java.util.concurrent.atomic.AtomicBoolean();
            topology.onGrowth(nodes -> {
                asked.add(nodes);
                return accept.get();
            });
            seed.call("CLUSTER", "MEET", "127.0.0.1", Integer.toString(joining.port()));
            int slot = ((Long) seed.call("CLUSTER", "KEYSLOT", "42")).intValue();
            String moved = "-MOVED " + slot + " " + joining.address() + "\r\n";
            List<String> first = null;
            for (int i = 0; i < 100 && first == null; i++) {
                Topology.Redirect waiting = topology.redirect(reply(moved));
                assertThat(waiting.node()).as("not yet the engine's: wait").isEqualTo(Topology.SPANS_NODES);
                first = asked.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            assertThat(first).as("the engine is asked to connect it").containsExactly(seed.address(), joining.address());
            assertThat(topology.redirect(reply(moved)).node()).as("refused by the engine: still waiting")
                    .isEqualTo(Topology.SPANS_NODES);
            accept.set(true);
            Topology.Redirect followed = null;
            for (int i = 0; i < 100 && (followed == null || followed.node() != 1); i++) {
                followed = topology.redirect(reply(moved));
                Thread.sleep(50);
            }
            assertThat(followed.node()).as("the engine took it: followed").isEqualTo(1);
            assertThat(topology.serves(1)).as("owns no slot by the map").isFalse();
            topology.close();
        }
    }

    @Test
    void keysOfSeveralSlotsAreRefusedAsRedisRefusesThem() {
        RedisClusterTopology topology = new RedisClusterTopology(List.of(node.address()), new RedisClusterOptions(60_000, 500));
        Command spread = command("SINTER", "a", "b");
        Command tagged = command("SINTER", "{t}a", "{t}b");
        assertThat(topology.nodeFor(spread)).isEqualTo(Topology.SPANS_NODES);
        assertThat(topology.groupOfKey(spread, 0)).isNotEqualTo(topology.groupOfKey(spread, 1));
        ByteBuf refusal = topology.refusal(spread);
        String direct;
        try {
            node.call("SINTER", "a", "b");
            direct = null;
        } catch (RuntimeException e) {
            direct = e.getMessage();
        }
        assertThat(refusal.toString(StandardCharsets.US_ASCII)).isEqualTo("-" + direct + "\r\n");
        refusal.release();
        assertThat(topology.nodeFor(tagged)).isZero();
        assertThat(topology.refusal(tagged)).isNull();
        spread.release();
        tagged.release();
        topology.close();
    }

    private static ByteBuf reply(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** A command whose frame is just its name and keys, separated by spaces: only the key ranges matter here. */
    private static Command command(String name, String... keys) {
        StringBuilder text = new StringBuilder(name);
        int[] ranges = new int[keys.length * 2];
        for (int i = 0; i < keys.length; i++) {
            text.append(' ');
            ranges[2 * i] = text.length();
            ranges[2 * i + 1] = keys[i].length();
            text.append(keys[i]);
        }
        return Command.of(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII), name, CommandKind.READ, ranges, null);
    }
}
