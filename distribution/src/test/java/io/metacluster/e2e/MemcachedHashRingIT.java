package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.utils.AddrUtil;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.MemcachedBackends.readUntil;
import static org.assertj.core.api.Assertions.assertThat;

/** A memcached pool sharded over three servers ({@code topology: hash-ring}): multi-gets are split and joined. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemcachedHashRingIT {
    @AutoClose
    static ShardedBackends<MemcachedServer> ring;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        port = FreePorts.find();
        ring = ShardedBackends.start(MemcachedServer::start, """
                replay: { dir: "" }
                listeners:
                  - name: mc
                    protocol: memcached
                    bind: 127.0.0.1:%d
                    clusters: [pool]
                clusters:
                  - name: pool
                    topology: hash-ring
                    nodes: [{shards}]
                """.formatted(port));
    }

    @ParameterizedTest
    @EnumSource(MemcachedClientIT.Mode.class)
    void xmemcachedGetMultiAndGetsThroughTheShardedPool(MemcachedClientIT.Mode mode) throws Exception {
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:" + port));
        builder.setCommandFactory(mode.factory.get());
        builder.setOpTimeout(5_000);
        MemcachedClient client = builder.build();
        try {
            Map<String, String> written = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                String key = mode + "-" + Integer.toHexString(i * 0x9E3779B1);
                written.put(key, "value-" + i);
                assertThat(client.set(key, 0, "value-" + i)).isTrue();
            }
            Map<String, String> read = client.get(written.keySet());
            assertThat(read).isEqualTo(written);
            Map<String, GetsResponse<String>> withCas = client.gets(written.keySet());
            assertThat(withCas).hasSize(30);
            String key = written.keySet().iterator().next();
            assertThat(client.cas(key, 0, "changed", withCas.get(key).getCas())).as("cas with the read cluster's unique").isTrue();
            assertThat(client.<String>get(key)).isEqualTo("changed");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aMultiGetOverEveryShardAnswersLikeOneServer() throws Exception {
        List<String> keys = new ArrayList<>();
        StringBuilder sets = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            String key = "k" + Integer.toHexString(i * 0x9E3779B1);
            keys.add(key);
            sets.append("set ").append(key).append(" ").append(i).append(" 0 2\r\nv").append(i % 10).append("\r\n");
        }
        try (Socket socket = MemcachedBackends.connect(port)) {
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write((sets + "mn\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(readUntil(in, "MN\r\n")).isEqualTo("STORED\r\n".repeat(20) + "MN\r\n");
            socket.getOutputStream().write(("get " + String.join(" ", keys) + " missing\r\n").getBytes(StandardCharsets.US_ASCII));
            String reply = readUntil(in, "END\r\n");
            for (int i = 0; i < 20; i++) {
                assertThat(reply).contains("VALUE " + keys.get(i) + " " + i + " 2\r\nv" + (i % 10) + "\r\n");
            }
            assertThat(reply.split("VALUE ", -1)).hasSize(21);
            assertThat(reply).endsWith("\r\nEND\r\n").doesNotContain("END\r\nVALUE").doesNotContain("missing");
        }
        int shardsUsed = 0;
        for (MemcachedServer shard : ring.shards) {
            long held = keys.stream().filter(key -> shard.get(key) != null).count();
            shardsUsed += held > 0 ? 1 : 0;
        }
        assertThat(shardsUsed).as("the keys are spread over the shards").isEqualTo(3);
    }
}
