package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.MemcachedBackends.connect;
import static io.metacluster.e2e.MemcachedBackends.readUntil;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * memcached {@code stats} through the proxy: the serving cluster's figures (summed over the shards
 * of a hash ring), the proxy's own {@code metacluster_*} lines, and the shape of memcached 1.6
 * itself, text and binary, checked against the same servers asked directly.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MemcachedStatsIT {
    @AutoClose
    static ShardedBackends<MemcachedServer> ring;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        port = FreePorts.find();
        ring = ShardedBackends.withSingle(MemcachedServer::start, """
                replay: { dir: "" }
                listeners:
                  - { name: mc, protocol: memcached, bind: "127.0.0.1:%d", clusters: [pool, far] }
                clusters:
                  - { name: pool, local: true, topology: hash-ring, nodes: [{shards}] }
                  - { name: far, nodes: [{single}] }
                """.formatted(port));
    }

    @Test
    void generalStatsAreTheShardsSummedWithTheProxysLinesAfter() throws Exception {
        try (Socket socket = connect(port)) {
            StringBuilder sets = new StringBuilder();
            for (int i = 0; i < 60; i++) {
                sets.append("set stats-").append(i).append(" 0 0 5\r\nvalue\r\n");
            }
            socket.getOutputStream().write((sets + "get stats-1 stats-2 stats-3 nothing\r\nmn\r\n").getBytes(StandardCharsets.US_ASCII));
            readUntil(socket.getInputStream(), "MN\r\n");
            Map<String, String> proxy = textStats(socket, "stats");
            List<Map<String, String>> direct = ring.shards.stream().map(shard -> {
                try (Socket s = connect(shard.port())) {
                    return textStats(s, "stats");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
            // memcached's own names, in memcached's order, then the proxy's
            List<String> names = new ArrayList<>(proxy.keySet());
            List<String> serverNames = names.stream().filter(name -> !name.startsWith("metacluster_")).toList();
            assertThat(serverNames).containsExactlyElementsOf(direct.get(0).keySet());
            assertThat(names.subList(serverNames.size(), names.size())).allMatch(name -> name.startsWith("metacluster_"));
            for (String additive : List.of("curr_items", "total_items", "bytes", "cmd_set", "get_hits", "get_misses", "limit_maxbytes")) {
                long sum = direct.stream().mapToLong(stats -> Long.parseLong(stats.get(additive))).sum();
                assertThat(Long.parseLong(proxy.get(additive))).as(additive).isEqualTo(sum);
            }
            assertThat(Long.parseLong(proxy.get("curr_items"))).isGreaterThanOrEqualTo(60);
            assertThat(Long.parseLong(proxy.get("get_hits"))).isGreaterThanOrEqualTo(3);
            // one process's figures are the first node's
            assertThat(proxy.get("pid")).isEqualTo(direct.get(0).get("pid"));
            assertThat(proxy.get("version")).isEqualTo(direct.get(0).get("version"));
            assertThat(Long.parseLong(proxy.get("curr_connections")))
                    .isGreaterThanOrEqualTo(Long.parseLong(direct.get(0).get("curr_connections")));
            assertThat(proxy).containsEntry("metacluster_listener", "mc").containsEntry("metacluster_serving_cluster", "pool")
                    .containsEntry("metacluster_serving_nodes", "3").containsEntry("metacluster_clusters", "2")
                    .containsEntry("metacluster_clusters_up", "2").containsEntry("metacluster_cluster:pool:state", "up")
                    .containsEntry("metacluster_cluster:pool:nodes", "3").containsEntry("metacluster_cluster:far:local", "0")
                    .containsEntry("metacluster_cluster:far:replay_pending", "0").containsKey("metacluster_curr_connections");
            assertThat(Long.parseLong(proxy.get("metacluster_curr_connections"))).isPositive();
        }
    }

    @Test
    void groupsAreMergedWhereTheyCountAndOneNodesWhereTheyDescribeIt() throws Exception {
        try (Socket socket = connect(port); Socket first = connect(ring.shards.get(0).port())) {
            socket.getOutputStream().write("set group-a 0 0 1\r\na\r\nset group-b 0 0 1\r\nb\r\nmn\r\n".getBytes(StandardCharsets.US_ASCII));
            readUntil(socket.getInputStream(), "MN\r\n");
            assertThat(textStats(socket, "stats settings")).isEqualTo(textStats(first, "stats settings"));
            Map<String, String> items = textStats(socket, "stats items");
            long number = ring.shards.stream().mapToLong(shard -> {
                try (Socket s = connect(shard.port())) {
                    return Long.parseLong(textStats(s, "stats items").getOrDefault("items:1:number", "0"));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).sum();
            assertThat(items.get("items:1:number")).isEqualTo(Long.toString(number));
            Map<String, String> slabs = textStats(socket, "stats slabs");
            assertThat(slabs).containsEntry("active_slabs", "1").containsKey("1:chunk_size");
            assertThat(slabs.keySet()).noneMatch(name -> name.startsWith("metacluster_"));
            // one-line answers are the server's own
            for (String line : List.of("stats nonsense\r\n", "stats detail on\r\n", "stats reset\r\n")) {
                assertThat(exchange(socket, line)).isEqualTo(exchange(first, line));
            }
        }
    }

    @Test
    void binaryStatHasTheSameFiguresAsText() throws Exception {
        try (Socket socket = connect(port); Socket first = connect(ring.shards.get(0).port())) {
            Map<String, String> general = binaryStats(socket, "");
            assertThat(general).containsKeys("pid", "curr_items", "metacluster_serving_cluster");
            assertThat(general.keySet().stream().filter(name -> !name.startsWith("metacluster_")).toList())
                    .containsExactlyElementsOf(binaryStats(first, "").keySet());
            assertThat(binaryStats(socket, "settings")).isEqualTo(binaryStats(first, "settings"));
            // an unknown group: memcached's "Not found", as one response
            byte[] unknown = statPacket("nonsense", 7);
            socket.getOutputStream().write(unknown);
            first.getOutputStream().write(unknown);
            assertThat(readPacket(socket.getInputStream())).isEqualTo(readPacket(first.getInputStream()));
        }
    }

    private static Map<String, String> textStats(Socket socket, String request) throws IOException {
        socket.getOutputStream().write((request + "\r\n").getBytes(StandardCharsets.US_ASCII));
        String reply = readUntil(socket.getInputStream(), "END\r\n");
        Map<String, String> stats = new LinkedHashMap<>();
        for (String line : reply.split("\r\n")) {
            if (line.startsWith("STAT ")) {
                int space = line.indexOf(' ', 5);
                stats.put(line.substring(5, space), line.substring(space + 1));
            } else {
                assertThat(line).isEqualTo("END");
            }
        }
        return stats;
    }

    private static String exchange(Socket socket, String line) throws IOException {
        socket.getOutputStream().write(line.getBytes(StandardCharsets.US_ASCII));
        return readUntil(socket.getInputStream(), "\r\n");
    }

    private static byte[] statPacket(String group, int opaque) {
        byte[] key = group.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(24 + key.length).put((byte) 0x80).put((byte) 0x10).putShort((short) key.length)
                .put((byte) 0).put((byte) 0).putShort((short) 0).putInt(key.length).putInt(opaque).putLong(0).put(key).array();
    }

    private static Map<String, String> binaryStats(Socket socket, String group) throws IOException {
        socket.getOutputStream().write(statPacket(group, 42));
        Map<String, String> stats = new LinkedHashMap<>();
        while (true) {
            byte[] packet = readPacket(socket.getInputStream());
            ByteBuffer header = ByteBuffer.wrap(packet);
            assertThat(packet[0] & 0xff).isEqualTo(0x81);
            assertThat(packet[1]).isEqualTo((byte) 0x10);
            assertThat(header.getShort(6)).as("status").isZero();
            assertThat(header.getInt(12)).as("opaque").isEqualTo(42);
            int keyLength = header.getShort(2);
            if (keyLength == 0) {
                return stats;
            }
            stats.put(new String(packet, 24, keyLength, StandardCharsets.ISO_8859_1),
                    new String(packet, 24 + keyLength, packet.length - 24 - keyLength, StandardCharsets.ISO_8859_1));
        }
    }

    private static byte[] readPacket(InputStream in) throws IOException {
        byte[] header = in.readNBytes(24);
        assertThat(header).hasSize(24);
        byte[] body = in.readNBytes(ByteBuffer.wrap(header).getInt(8));
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.writeBytes(header);
        packet.writeBytes(body);
        byte[] all = packet.toByteArray();
        ByteBuffer.wrap(all).putLong(16, 0); // cas
        return all;
    }
}
