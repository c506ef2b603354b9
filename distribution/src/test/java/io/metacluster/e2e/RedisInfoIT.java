package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis {@code INFO} through the proxy: the serving cluster's INFO (the shards of a hash ring
 * summed where they count), a {@code # Metacluster} section after it, {@code INFO metacluster}
 * alone, and Redis 7.0's own reply types (a bulk string; a verbatim string under RESP3), checked
 * against the same servers asked directly.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisInfoIT {
    @AutoClose
    static ShardedBackends<RedisServer> ring;
    static int port;
    static int singlePort;

    @BeforeAll
    static void start() throws Exception {
        int[] ports = FreePorts.find(2);
        port = ports[0];
        singlePort = ports[1];
        ring = ShardedBackends.withSingle(RedisServer::start, """
                replay: { dir: "" }
                listeners:
                  - { name: sharded, protocol: redis, bind: "127.0.0.1:%d", clusters: [pool, far],
                      verify: { strategy: sampled, rate: 1.0 } }
                  - { name: single, protocol: redis, bind: "127.0.0.1:%d", clusters: [far] }
                clusters:
                  - { name: pool, local: true, topology: hash-ring, nodes: [{shards}] }
                  - { name: far, nodes: [{single}] }
                """.formatted(port, singlePort));
    }

    @Test
    void keyspaceAndCountersAreTheShardsSummedAndTheServerSectionIsTheFirstNodes() {
        try (RespClient client = RespClient.connect(port)) {
            for (int i = 0; i < 50; i++) {
                client.call("SET", Integer.toHexString(i * 0x9E3779B1) + ":info", "v"); // spread over the shards
            }
            client.call("EXPIRE", Integer.toHexString(0x9E3779B1) + ":info", "1000");
            for (int i = 0; i < 10; i++) {
                client.call("GET", Integer.toHexString(i * 0x9E3779B1) + ":info"); // each one verified against far
            }
            Map<String, Map<String, String>> proxy = sections(text(client.call("INFO", "everything")));
            List<Map<String, Map<String, String>>> direct = ring.shards.stream()
                    .map(shard -> sections(text(shard.call("INFO", "everything")))).toList();
            assertThat(new ArrayList<>(proxy.keySet())).endsWith("Metacluster");
            assertThat(proxy.keySet()).containsAll(direct.get(0).keySet());
            long keys = direct.stream().mapToLong(info -> subfield(info.get("Keyspace").getOrDefault("db0", "keys=0"), "keys")).sum();
            assertThat(keys).isEqualTo(50);
            assertThat(subfield(proxy.get("Keyspace").get("db0"), "keys")).isEqualTo(50);
            assertThat(subfield(proxy.get("Keyspace").get("db0"), "expires")).isEqualTo(1);
            assertThat(proxy.get("Server").get("run_id")).isEqualTo(direct.get(0).get("Server").get("run_id"));
            long connected = direct.stream().mapToLong(info -> Long.parseLong(info.get("Clients").get("connected_clients"))).sum();
            // each shard has the daemon's connections and the test's own INFO connection
            assertThat(Long.parseLong(proxy.get("Clients").get("connected_clients"))).isBetween(connected - 6, connected + 6);
            long calls = direct.stream().mapToLong(info -> subfield(info.get("Commandstats").getOrDefault("cmdstat_set", "calls=0"), "calls")).sum();
            assertThat(subfield(proxy.get("Commandstats").get("cmdstat_set"), "calls")).isEqualTo(calls).isGreaterThanOrEqualTo(50);
            assertThat(proxy.get("Metacluster")).containsEntry("metacluster_listener", "sharded")
                    .containsEntry("metacluster_serving_cluster", "pool").containsEntry("metacluster_serving_nodes", "3")
                    .containsEntry("metacluster_clusters", "2").containsEntry("metacluster_clusters_up", "2")
                    .containsEntry("metacluster_cluster_pool", "state=up,local=1,nodes=3,nodes_up=3,replay_pending=0,replay_bytes=0")
                    .containsKeys("metacluster_verify_sampled", "metacluster_verify_mismatch", "metacluster_verify_repaired");
            assertThat(Long.parseLong(proxy.get("Metacluster").get("metacluster_verify_sampled"))).isPositive();
        }
    }

    @Test
    void theReplyHasRedissShapeInBothProtocolVersions() {
        try (RespClient client = RespClient.connect(singlePort); RespClient server = ring.single.client()) {
            // replication: a section that stays the same from one request to the next here
            client.send("INFO", "replication", "metacluster");
            String raw = client.readRaw();
            server.send("INFO", "replication");
            String direct = server.readRaw();
            String body = direct.substring(direct.indexOf("\r\n") + 2, direct.length() - 2);
            assertThat(raw).startsWith("$").contains("\r\n" + body + "\r\n# Metacluster\r\n").endsWith("\r\n\r\n");
            assertThat(Integer.parseInt(raw.substring(1, raw.indexOf('\r')))).isEqualTo(raw.length() - raw.indexOf('\r') - 4);
            // a section the server does not know: only the proxy's
            client.send("INFO", "metacluster");
            String only = client.readRaw();
            assertThat(only).contains("\r\n# Metacluster\r\nmetacluster_version:").doesNotContain("# Replication");
            // one node, no proxy section asked for: exactly the server's reply
            client.send("INFO", "replication");
            assertThat(client.readRaw()).isEqualTo(direct);
            client.call("HELLO", "3");
            server.call("HELLO", "3");
            client.send("INFO", "replication");
            server.send("INFO", "replication");
            String resp3 = client.readRaw();
            assertThat(resp3).isEqualTo(server.readRaw()).startsWith("=").contains("\r\ntxt:# Replication\r\n");
            client.send("INFO", "metacluster");
            assertThat(client.readRaw()).startsWith("=").contains("\r\ntxt:# Metacluster\r\n");
        }
    }

    private static String text(Object reply) {
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    private static Map<String, Map<String, String>> sections(String info) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : info.split("\r\n")) {
            if (line.startsWith("# ")) {
                current = new LinkedHashMap<>();
                sections.put(line.substring(2), current);
            } else if (!line.isEmpty()) {
                current.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1));
            }
        }
        return sections;
    }

    private static long subfield(String value, String name) {
        for (String part : value.split(",")) {
            if (part.startsWith(name + "=")) {
                return Long.parseLong(part.substring(name.length() + 1));
            }
        }
        throw new AssertionError(name + " not in " + value);
    }
}
