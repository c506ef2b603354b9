package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Redis Cluster over TLS (three masters, {@code tls-cluster yes}: the nodes name each other
 * by their TLS ports) as a cluster with {@code tls: { ca }}: the slot map is read over TLS, with
 * the certificate checked as the engine's connections check it, so the daemon finds every master
 * from one seed and serves keys from each.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisClusterTlsIT {
    @TempDir
    static Path certs;

    @Test
    void theSlotMapIsReadOverTlsAndEveryMasterServesItsKeys() throws Exception {
        TlsIT.makeCertificates(certs);
        int port = FreePorts.find();
        try (RedisClusterNodes cluster = RedisClusterNodes.startTls(3, certs); RedisServer single = RedisServer.start();
             Daemon daemon = Daemon.start(RedisClusterBesideSingle.yaml(port, single.address(),
                     "tls: { ca: \"" + certs.resolve("ca.crt") + "\" }", "nodes: [127.0.0.1:" + cluster.tlsPorts.get(0) + "]"))) {
            daemon.awaitHealthy();
            List<String> tlsAddresses = cluster.tlsPorts.stream().map(p -> "127.0.0.1:" + p).toList();
            assertThat(daemon.engine.plan().clusters().get(0).nodes()).as("every master, by its TLS port, from one seed")
                    .map(Object::toString).containsExactlyInAnyOrderElementsOf(tlsAddresses);
            try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                for (int i = 0; i < 300; i++) {
                    assertThat(client.set("t" + i, "v" + i)).isEqualTo("OK");
                }
                for (int i = 0; i < 300; i++) {
                    assertThat(client.get("t" + i)).isEqualTo("v" + i);
                }
            }
            long total = 0;
            for (RedisServer master : cluster.servers) {
                try (Jedis plain = direct(master)) {
                    long keys = plain.dbSize();
                    assertThat(keys).as("%s holds a share", master.address()).isBetween(50L, 150L);
                    total += keys;
                }
            }
            assertThat(total).isEqualTo(300);
        }
    }
}
