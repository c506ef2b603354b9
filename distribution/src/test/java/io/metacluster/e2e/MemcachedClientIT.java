package io.metacluster.e2e;

import io.metacluster.testing.MemcachedServer;
import net.rubyeye.xmemcached.CommandFactory;
import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.BinaryCommandFactory;
import net.rubyeye.xmemcached.command.TextCommandFactory;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.metacluster.e2e.MemcachedBackends.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real memcached client (xmemcached), in text mode and in binary mode, through the daemon in
 * front of three real memcached processes (dc1 local).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemcachedClientIT {
    static MemcachedBackends backends;

    @TempDir
    static Path replayDir;

    enum Mode {
        TEXT(TextCommandFactory::new), BINARY(BinaryCommandFactory::new);

        final Supplier<CommandFactory> factory;

        Mode(Supplier<CommandFactory> factory) {
            this.factory = factory;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        backends = MemcachedBackends.start(replayDir);
    }

    @AfterAll
    static void stop() {
        if (backends != null) {
            backends.close();
        }
    }

    @BeforeEach
    void healthyAndEmpty() throws InterruptedException {
        backends.healthyAndEmpty();
    }

    static MemcachedClient client(Mode mode) throws Exception {
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:" + backends.port));
        builder.setCommandFactory(mode.factory.get());
        builder.setOpTimeout(5_000);
        SerializingTranscoder transcoder = new SerializingTranscoder(MemcachedBackends.ITEM_SIZE);
        transcoder.setCompressionThreshold(Integer.MAX_VALUE); // values go as the test wrote them
        builder.setTranscoder(transcoder);
        return builder.build();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyCommandWorksAndWritesLandOnEveryCluster(Mode mode) throws Exception {
        MemcachedClient client = client(mode);
        try {
            assertThat(client.set("k", 0, "v1")).isTrue();
            assertThat(client.<String>get("k")).isEqualTo("v1");
            assertThat(client.add("k", 0, "nope")).isFalse();
            assertThat(client.add("fresh", 0, "f")).isTrue();
            assertThat(client.replace("k", 0, "v2")).isTrue();
            assertThat(client.replace("missing", 0, "x")).isFalse();
            assertThat(client.append("k", "-end")).isTrue();
            assertThat(client.prepend("k", "start-")).isTrue();
            assertThat(client.<String>get("k")).isEqualTo("start-v2-end");
            Map<String, String> many = client.get(List.of("k", "fresh", "missing"));
            assertThat(many).containsExactlyInAnyOrderEntriesOf(Map.of("k", "start-v2-end", "fresh", "f"));

            assertThat(client.set("n", 0, "10")).isTrue();
            assertThat(client.incr("n", 5)).isEqualTo(15);
            assertThat(client.decr("n", 3)).isEqualTo(12);

            assertThat(client.touch("fresh", 3600)).isTrue();
            assertThat(client.touch("missing", 3600)).isFalse();
            assertThat(client.delete("fresh")).isTrue();
            assertThat(client.delete("fresh")).isFalse();
            assertThat(client.<String>get("fresh")).isNull();
        } finally {
            client.shutdown();
        }
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "k", "start-v2-end");
            awaitValue(server, "n", "12");
            awaitValue(server, "fresh", null);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readsAreServedByTheLocalCluster(Mode mode) throws Exception {
        backends.setDirectly("where", "local", "remote2", "remote3");
        MemcachedClient client = client(mode);
        try {
            for (int i = 0; i < 100; i++) {
                assertThat(client.<String>get("where")).isEqualTo("local");
                assertThat(client.<String>get(List.of("where", "nowhere"))).containsExactly(Map.entry("where", "local"));
            }
        } finally {
            client.shutdown();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void casIsDecidedByTheLocalClusterAndItsValuePropagatedEverywhere(Mode mode) throws Exception {
        MemcachedClient client = client(mode);
        try {
            assertThat(client.set("c", 0, "v1")).isTrue();
            GetsResponse<String> seen = client.gets("c");
            assertThat(seen.getValue()).isEqualTo("v1");
            assertThat(client.cas("c", 0, "v2", seen.getCas())).isTrue();
            for (MemcachedServer server : backends.all) {
                awaitValue(server, "c", "v2");
            }
            assertThat(client.cas("c", 0, "stale", seen.getCas())).as("a stale cas").isFalse();
            assertThat(client.<String>get("c")).isEqualTo("v2");
        } finally {
            client.shutdown();
        }
        for (MemcachedServer server : backends.all) {
            assertThat(server.get("c")).isEqualTo("v2");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void localClusterDownReadsGoRemoteThenComeBackWhenItRestarts(Mode mode) throws Exception {
        backends.setDirectly("where", "local", "remote", "remote");
        MemcachedClient client = client(mode);
        try {
            assertThat(client.<String>get("where")).isEqualTo("local");
            backends.dc1.stop();
            for (int i = 0; i < 100; i++) {
                assertThat(client.<String>get("where")).isEqualTo("remote");
            }
            assertThat(client.set("during-outage", 0, "x")).isTrue();

            backends.dc1.restart();
            assertThat(backends.dc1.set("where", "local again")).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            String seen = client.get("where");
            while (!"local again".equals(seen) && System.nanoTime() < deadline) {
                assertThat(seen).isEqualTo("remote");
                Thread.sleep(20);
                seen = client.get("where");
            }
            assertThat(seen).isEqualTo("local again");
        } finally {
            client.shutdown();
        }
        assertThat(backends.dc1.get("during-outage")).as("the write dc1 missed was replayed before it served reads").isEqualTo("x");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void binarySafeValuesUpToTheItemSize(Mode mode) throws Exception {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < 256; i++) {
            everyByte[i] = (byte) i;
        }
        // memcached's 1 MiB item holds the value plus ~60 bytes of header and key
        byte[] big = new byte[MemcachedBackends.ITEM_SIZE - 1024];
        new Random(7).nextBytes(big);
        String longKey = "k".repeat(250);
        MemcachedClient client = client(mode);
        try {
            assertThat(client.set("bytes", 0, everyByte)).isTrue();
            assertThat(client.set(longKey, 0, big)).isTrue();
            assertThat(client.<byte[]>get("bytes")).isEqualTo(everyByte);
            assertThat(client.<byte[]>get(longKey)).isEqualTo(big);
        } finally {
            client.shutdown();
        }
        for (MemcachedServer server : backends.all) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (MemcachedBackends.getBytes(server, longKey) == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(MemcachedBackends.getBytes(server, longKey)).isEqualTo(big);
            assertThat(MemcachedBackends.getBytes(server, "bytes")).isEqualTo(everyByte);
        }
    }
}
