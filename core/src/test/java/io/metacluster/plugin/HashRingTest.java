package io.metacluster.plugin;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Topology;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import io.metacluster.testing.ServerProcess;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HashRingTest {
    /** Keys checked against twemproxy: enough that one ring point out of place shows. */
    private static final int KEYS = 1500;
    private static final List<String> NODES = List.of("10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379");

    private static int node(HashRing ring, String key) {
        ByteBuf buf = Unpooled.copiedBuffer(key, StandardCharsets.UTF_8);
        return ring.nodeForKey(buf, 0, buf.readableBytes());
    }

    /** A command whose frame is its keys separated by spaces. */
    private static Command command(String... keys) {
        String text = String.join(" ", keys);
        int[] ranges = new int[2 * keys.length];
        int at = 0;
        for (int i = 0; i < keys.length; i++) {
            ranges[2 * i] = at;
            ranges[2 * i + 1] = keys[i].length();
            at += keys[i].length() + 1;
        }
        return Command.of(Unpooled.copiedBuffer(text.isEmpty() ? " " : text, StandardCharsets.US_ASCII), "CMD",
                CommandKind.READ, ranges, null);
    }

    @Test
    void keysSpreadOverEveryNodeAndStayWhenANodeIsAdded() {
        HashRing three = new HashRing(NODES, null);
        List<String> fourNodes = new ArrayList<>(NODES);
        fourNodes.add("10.0.0.4:6379");
        HashRing four = new HashRing(fourNodes, null);
        int[] counts = new int[3];
        int moved = 0;
        for (int i = 0; i < 30_000; i++) {
            String key = "user:" + i;
            int before = node(three, key);
            counts[before]++;
            int after = node(four, key);
            if (after != before) {
                assertThat(after).as("a key only ever moves to the new node").isEqualTo(3);
                moved++;
            }
        }
        for (int count : counts) {
            assertThat(count).isBetween(7_000, 13_000);
        }
        assertThat(moved).as("about a quarter of the keys move to the fourth node").isBetween(5_000, 10_000);
    }

    @Test
    void aHashTagPlacesRelatedKeysTogether() {
        HashRing ring = new HashRing(NODES, new HashRing.Options("{}"));
        HashRing untagged = new HashRing(NODES, null);
        int together = node(ring, "{user:1}:profile");
        for (String suffix : List.of("cart", "session", "x", "")) {
            assertThat(node(ring, "{user:1}:" + suffix)).isEqualTo(together);
        }
        assertThat(node(ring, "user:1")).isEqualTo(together);
        assertThat(node(ring, "{}user:1")).as("an empty tag is no tag").isEqualTo(node(untagged, "{}user:1"));
        assertThat(node(ring, "}{user:1")).as("the tag must close after it opens").isEqualTo(node(untagged, "}{user:1"));
        assertThatThrownBy(() -> new HashRing.Options("{")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCommandIsServedByOneNodeOnlyWhenAllItsKeysAreThere() {
        HashRing ring = new HashRing(NODES, new HashRing.Options("{}"));
        Command together = command("{a}1", "{a}2", "{a}3");
        Command none = command();
        try {
            assertThat(ring.nodeFor(together)).isEqualTo(node(ring, "a"));
            assertThat(ring.nodeFor(none)).isEqualTo(Topology.SPANS_NODES);
            String other = "k0";
            for (int i = 1; node(ring, other) == node(ring, "a"); i++) {
                other = "k" + i;
            }
            Command apart = command("{a}1", other);
            try {
                assertThat(ring.nodeFor(apart)).isEqualTo(Topology.SPANS_NODES);
            } finally {
                apart.release();
            }
        } finally {
            together.release();
            none.release();
        }
    }

    /**
     * The reference: twemproxy itself (ketama, fnv1a_64) in front of three memcached processes.
     * Every key must be found on the node the ring picks.
     */
    @Test
    void placesKeysWhereTwemproxyDoes() throws Exception {
        List<MemcachedServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers.add(MemcachedServer.start());
            }
            List<String> nodes = servers.stream().map(ServerProcess::address).toList();
            try (Twemproxy twemproxy = Twemproxy.start(nodes, false)) {
                try (Socket socket = new Socket("127.0.0.1", twemproxy.port())) {
                    socket.setSoTimeout(5000);
                    for (int i = 0; i < KEYS; i++) {
                        String key = "key:" + i + (i % 7 == 0 ? "\u00e9" : ""); // a few non-ASCII bytes: signed chars in C
                        socket.getOutputStream().write(("set " + key + " 0 0 1\r\nx\r\n").getBytes(StandardCharsets.UTF_8));
                        assertThat(readLine(socket.getInputStream())).isEqualTo("STORED");
                    }
                }
            }
            HashRing ring = new HashRing(nodes, null);
            for (int i = 0; i < KEYS; i++) {
                String key = "key:" + i + (i % 7 == 0 ? "\u00e9" : "");
                int expected = node(ring, key);
                for (int s = 0; s < servers.size(); s++) {
                    assertThat(servers.get(s).get(key) != null).as("%s on node %d", key, s).isEqualTo(s == expected);
                }
            }
        } finally {
            servers.forEach(ServerProcess::close);
        }
    }

    /**
     * Ejection against twemproxy with {@code auto_eject_hosts: true}: one server killed and
     * ejected after its first failure; every key must be on the node {@link HashRing#without}
     * picks. Of 3 nodes, the others' keys stay; of 26, the 25 left get 156 points each, not 160
     * (twemproxy's float rounding), so some of theirs move too.
     */
    @ParameterizedTest
    @CsvSource({"3, 1", "26, 7"})
    void ejectsANodeAsTwemproxyDoes(int count, int dead) throws Exception {
        List<MemcachedServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                servers.add(MemcachedServer.start());
            }
            List<String> nodes = servers.stream().map(ServerProcess::address).toList();
            servers.get(dead).kill();
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                keys.add("key:" + Integer.toHexString(i * 0x9E3779B1) + (i % 7 == 0 ? "\u00e9" : ""));
            }
            HashRing ring = new HashRing(nodes, null);
            String ofTheDead = "eject:0";
            for (int i = 1; node(ring, ofTheDead) != dead; i++) {
                ofTheDead = "eject:" + i;
            }
            try (Twemproxy twemproxy = Twemproxy.start(nodes, true);
                 Socket socket = new Socket("127.0.0.1", twemproxy.port())) {
                socket.setSoTimeout(5000);
                // the first request for the dead node fails and ejects it (server_failure_limit 1), unless the
                // start-up check's own key was the dead node's
                String reply = "";
                for (int i = 0; i < 3 && !reply.equals("END"); i++) {
                    socket.getOutputStream().write(("get " + ofTheDead + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    reply = readLine(socket.getInputStream());
                }
                assertThat(reply).as("once ejected, its keys go elsewhere").isEqualTo("END");
                for (String key : keys) {
                    socket.getOutputStream().write(("set " + key + " 0 0 1\r\nx\r\n").getBytes(StandardCharsets.UTF_8));
                    assertThat(readLine(socket.getInputStream())).as(key).isEqualTo("STORED");
                }
            }
            BitSet ejected = new BitSet();
            ejected.set(dead);
            HashRing without = (HashRing) ring.without(ejected);
            int moved = 0;
            for (String key : keys) {
                int expected = node(without, key);
                int before = node(ring, key);
                moved += before == dead ? 1 : 0;
                if (HashRing.pointsPerNode(count - 1) == HashRing.pointsPerNode(count)) {
                    assertThat(before == dead || before == expected).as("%s stays on node %d", key, before).isTrue();
                }
                for (int s = 0; s < servers.size(); s++) {
                    if (s != dead) {
                        assertThat(servers.get(s).get(key) != null).as("%s on node %d", key, s).isEqualTo(s == expected);
                    }
                }
            }
            assertThat(moved).as("keys of the dead node, placed elsewhere").isGreaterThan(20);
            assertThat(HashRing.pointsPerNode(25)).isEqualTo(156);
            assertThat(HashRing.pointsPerNode(26)).isEqualTo(160);
        } finally {
            servers.forEach(ServerProcess::close);
        }
    }

    @Test
    void cannotEjectEveryNode() {
        HashRing ring = new HashRing(NODES, null);
        BitSet all = new BitSet();
        all.set(0, 3);
        assertThatThrownBy(() -> ring.without(all)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("connection closed after " + line);
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** nutcracker with one memcached pool, {@code distribution: ketama}, {@code hash: fnv1a_64}. */
    private static final class Twemproxy extends ServerProcess {
        private final int statsPort = FreePorts.find();

        private Twemproxy(int port, List<String> nodes, boolean autoEject) {
            super(port, "twemproxy");
            StringBuilder conf = new StringBuilder("""
                    pool:
                      listen: 127.0.0.1:%d
                      hash: fnv1a_64
                      distribution: ketama
                      auto_eject_hosts: %s
                      server_failure_limit: 1
                      server_retry_timeout: 600000
                      servers:
                    """.formatted(port, autoEject));
            nodes.forEach(node -> conf.append("   - ").append(node).append(":1\n"));
            try {
                Files.writeString(dir().resolve("nutcracker.yml"), conf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static Twemproxy start(List<String> nodes, boolean autoEject) {
            return startOnFreePort(port -> new Twemproxy(port, nodes, autoEject));
        }

        @Override
        protected List<String> commandLine() {
            return List.of("nutcracker", "-c", dir().resolve("nutcracker.yml").toString(), "-a", "127.0.0.1",
                    "-s", Integer.toString(statsPort));
        }

        @Override
        protected boolean answers(Socket socket) throws IOException {
            socket.getOutputStream().write("get probe\r\n".getBytes(StandardCharsets.US_ASCII));
            return "END".equals(readLine(socket.getInputStream()));
        }
    }
}
