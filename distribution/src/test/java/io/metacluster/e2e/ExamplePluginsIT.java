package io.metacluster.e2e;

import io.metacluster.config.ConfigException;
import io.metacluster.config.ConfigLoader;
import io.metacluster.plugin.PluginHost;
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
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The example plugins of examples/, as built jars dropped into a plugins/ folder beside the
 * shipped ones, the daemon started naming them, and real traffic to three real redis-servers
 * (dc1 and dc2 local, dc3 remote) showing that each was used.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExamplePluginsIT {
    @TempDir
    static Path plugins;
    static RedisServer dc1;
    static RedisServer dc2;
    static RedisServer dc3;

    @BeforeAll
    static void start() throws Exception {
        try (Stream<Path> shipped = Files.list(Daemon.home().resolve("plugins"));
             Stream<Path> examples = Files.list(Path.of(System.getProperty("metacluster.examples")))) {
            for (Path jar : Stream.concat(shipped, examples).filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.copy(jar, plugins.resolve(jar.getFileName()));
            }
        }
        dc1 = RedisServer.start();
        dc2 = RedisServer.start();
        dc3 = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        for (RedisServer server : new RedisServer[]{dc1, dc2, dc3}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @BeforeEach
    void everyServerUpAndEmpty() {
        for (RedisServer server : List.of(dc1, dc2, dc3)) {
            if (!server.isRunning()) {
                server.restart();
            }
            try (Jedis direct = RedisBackends.direct(server)) {
                direct.flushAll();
            }
        }
    }

    private static String config(int port, String listener) {
        return """
                listeners:
                  - name: example
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                %s
                clusters:
                  - { name: dc1, local: true, nodes: [%s] }
                  - { name: dc2, local: true, nodes: [%s] }
                  - { name: dc3, nodes: [%s] }
                """.formatted(port, listener.stripTrailing().indent(4).stripTrailing(), dc1.address(), dc2.address(),
                dc3.address());
    }

    /** Each server holds its own name under {@code where}: a read through the proxy says which cluster served it. */
    private static void markServers() {
        for (var entry : List.of(List.of(dc1, "dc1"), List.of(dc2, "dc2"), List.of(dc3, "dc3"))) {
            try (Jedis direct = RedisBackends.direct((RedisServer) entry.get(0))) {
                direct.set("where", (String) entry.get(1));
            }
        }
    }

    /**
     * 128 pipelined writes through the proxy while {@code slow} are frozen for 600 ms: answered by
     * the others ({@code at-least: 1}), they wait on the frozen ones, whose measured p99 soars.
     */
    private static void slowDown(Jedis proxy, RedisServer... slow) throws Exception {
        for (RedisServer server : slow) {
            server.freeze();
        }
        try {
            Pipeline pipeline = proxy.pipelined();
            for (int i = 0; i < 128; i++) {
                pipeline.set("load:" + i, "x");
            }
            pipeline.sync();
            Thread.sleep(600);
        } finally {
            for (RedisServer server : slow) {
                server.thaw();
            }
        }
        Thread.sleep(2200); // ClusterView.latencyNanos is refreshed once a second
    }

    private static Set<String> servedBy(Jedis proxy, int reads) {
        Set<String> served = new HashSet<>();
        for (int i = 0; i < reads; i++) {
            served.add(proxy.get("where"));
        }
        return served;
    }

    @Test
    void lowestLatencyReadsGoToTheFastestLocalClusterAndToARemoteOneOnlyWhenNoLocalOneIsUp() throws Exception {
        int port = FreePorts.find(1)[0];
        try (Daemon daemon = Daemon.start(plugins, config(port, """
                protocol: redis
                read: { strategy: lowest-latency }
                write: { policy: at-least, clusters: 1 }
                """)); Jedis proxy = new Jedis("127.0.0.1", port, 10_000)) {
            markServers();
            assertThat(servedBy(proxy, 20)).as("a local cluster").isSubsetOf("dc1", "dc2");

            slowDown(proxy, dc1);
            assertThat(servedBy(proxy, 50)).as("dc1 measured slow: dc2").containsExactly("dc2");

            slowDown(proxy, dc1, dc2);
            assertThat(servedBy(proxy, 50)).as("both locals slower than dc3, still never the remote one")
                    .isSubsetOf("dc1", "dc2");

            dc1.stop();
            dc2.stop();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (daemon.engine.clusterHealth().get("dc2") || daemon.engine.clusterHealth().get("dc1")) {
                assertThat(System.nanoTime()).as("dc1 and dc2 seen down").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(servedBy(proxy, 20)).as("no local cluster up: the remote one").containsExactly("dc3");
        }
    }

    @Test
    void anAtLeastTwoWriteWaitsForTwoClusters() throws Exception {
        int port = FreePorts.find(1)[0];
        try (Daemon daemon = Daemon.start(plugins, config(port, """
                protocol: redis
                write: { policy: at-least, clusters: 2 }
                """)); Jedis proxy = new Jedis("127.0.0.1", port, 10_000)) {
            assertThat(proxy.set("k", "0")).isEqualTo("OK");
            dc2.freeze();
            dc3.freeze();
            try {
                CompletableFuture<String> write = CompletableFuture.supplyAsync(() -> proxy.set("k", "1"));
                Thread.sleep(500);
                try (Jedis direct = RedisBackends.direct(dc1)) {
                    assertThat(direct.get("k")).as("dc1 took the write").isEqualTo("1");
                }
                assertThat(write).as("one cluster is not enough").isNotDone();
                dc2.thaw();
                assertThat(write.get(10, TimeUnit.SECONDS)).isEqualTo("OK");
            } finally {
                dc2.thaw();
                dc3.thaw();
            }
        }
    }

    @Test
    void atLeastMoreClustersThanTheListenerHasIsRefusedWithTheKeyAndLine() throws Exception {
        try (PluginHost host = PluginHost.load(plugins)) {
            assertThatThrownBy(() -> ConfigLoader.parse("test.yaml", config(FreePorts.find(1)[0], """
                    protocol: redis
                    write: { policy: at-least, clusters: 4 }
                    """), host))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("test.yaml:")
                    .hasMessageContaining("at-least 4 clusters, but the listener has 3");
        }
    }

    private enum Module implements ProtocolCommand {
        JSON_SET("JSON.SET"), JSON_GET("JSON.GET"), BF_ADD("BF.ADD"), BF_EXISTS("BF.EXISTS"), NOSUCH("NOSUCH");

        private final byte[] raw;

        Module(String name) {
            raw = name.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public byte[] getRaw() {
            return raw;
        }
    }

    /**
     * How many error replies each server gave so far ({@code INFO stats}): where an unknown command
     * landed. Through {@code direct} connections opened beforehand, since a new Jedis connection
     * makes errors of its own (Redis 7.0 has no CLIENT SETINFO).
     */
    private static List<Long> errorReplies(List<Jedis> direct) {
        return direct.stream().map(server -> server.info("stats").lines()
                .filter(line -> line.startsWith("total_error_replies:"))
                .map(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).trim())).findFirst().orElseThrow())
                .toList();
    }

    /**
     * The errors each server gave for {@code command} sent through the proxy (which fails: Redis 7.0
     * has no such module), once {@code landings} of them arrived (the client may be answered
     * before the last cluster replied) and a moment more, for any unexpected one.
     */
    private static List<Long> landed(List<Jedis> direct, int landings, Jedis proxy, Module command, String... args)
            throws InterruptedException {
        List<Long> before = errorReplies(direct);
        assertThatThrownBy(() -> proxy.sendCommand(command, args)).isInstanceOf(JedisDataException.class);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<Long> deltas;
        do {
            Thread.sleep(20);
            List<Long> after = errorReplies(direct);
            deltas = List.of(after.get(0) - before.get(0), after.get(1) - before.get(1), after.get(2) - before.get(2));
        } while (deltas.stream().mapToLong(Long::longValue).sum() < landings && System.nanoTime() < deadline);
        Thread.sleep(100);
        List<Long> after = errorReplies(direct);
        return List.of(after.get(0) - before.get(0), after.get(1) - before.get(1), after.get(2) - before.get(2));
    }

    @Test
    void moduleCommandsAreRoutedAsTheRedisModulesPluginDeclaresThem() throws Exception {
        int port = FreePorts.find(1)[0];
        try (Daemon daemon = Daemon.start(plugins, config(port, """
                protocol: redis-modules
                read: { strategy: lowest-latency }
                """)); Jedis proxy = new Jedis("127.0.0.1", port, 10_000); Jedis direct1 = RedisBackends.direct(dc1);
             Jedis direct2 = RedisBackends.direct(dc2); Jedis direct3 = RedisBackends.direct(dc3)) {
            List<Jedis> direct = List.of(direct1, direct2, direct3);
            errorReplies(direct); // connected, with their own CLIENT SETINFO errors behind them
            proxy.ping();
            // redis-server 7.0 has no RedisJSON nor RedisBloom: each server that gets one answers "unknown command"
            assertThat(landed(direct, 3, proxy, Module.JSON_SET, "doc", "$", "{}")).as("a write: every cluster").containsExactly(1L, 1L, 1L);
            assertThat(landed(direct, 3, proxy, Module.BF_ADD, "bloom", "x")).as("a write: every cluster").containsExactly(1L, 1L, 1L);
            assertThat(landed(direct, 1, proxy, Module.JSON_GET, "doc", "$")).as("a read: one local cluster")
                    .isIn(List.of(1L, 0L, 0L), List.of(0L, 1L, 0L));
            assertThat(landed(direct, 1, proxy, Module.BF_EXISTS, "bloom", "x")).as("a read: one local cluster")
                    .isIn(List.of(1L, 0L, 0L), List.of(0L, 1L, 0L));
            assertThat(landed(direct, 0, proxy, Module.NOSUCH, "a")).as("not declared: refused by the proxy").containsExactly(0L, 0L, 0L);
            assertThatThrownBy(() -> proxy.sendCommand(Module.JSON_GET, "doc"))
                    .hasMessageContaining("unknown command 'JSON.GET'"); // Redis's own answer, through the proxy
            assertThatThrownBy(() -> proxy.sendCommand(Module.NOSUCH, "a"))
                    .hasMessage("ERR unknown command 'NOSUCH', with args beginning with: 'a' ");
            assertThat(proxy.set("plain", "redis")).isEqualTo("OK");
            assertThat(proxy.get("plain")).isEqualTo("redis");
        }
    }
}
