package io.metacluster.e2e;

import io.metacluster.testing.MemcachedServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.MemcachedBackends.awaitValue;
import static io.metacluster.e2e.MemcachedBackends.readLine;
import static io.metacluster.e2e.MemcachedBackends.readUntil;
import static io.metacluster.e2e.MemcachedBackends.stat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memcached wire through the daemon, byte for byte, on raw sockets: quiet modes and their
 * fences, pipelines of the three dialects, key and size limits, and cas in all three dialects.
 * Where the answer is memcached's to give, it is compared with a fourth, reference memcached.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemcachedWireIT {
    static MemcachedBackends backends;
    static MemcachedServer reference;

    @TempDir
    static Path replayDir;

    @BeforeAll
    static void start() throws Exception {
        backends = MemcachedBackends.start(replayDir);
        reference = MemcachedServer.start();
    }

    @AfterAll
    static void stop() {
        if (backends != null) {
            backends.close();
        }
        if (reference != null) {
            reference.close();
        }
    }

    @BeforeEach
    void healthyAndEmpty() throws InterruptedException {
        backends.healthyAndEmpty();
        reference.request("flush_all\r\n", false);
    }

    @Test
    void noreplyAnswersNothingKeepsTheOrderAndStillWritesEverywhere() throws Exception {
        String script = "set a 0 0 1 noreply\r\n1\r\n"
                + "set b 5 0 1 noreply\r\n2\r\n"
                + "add a 0 0 1 noreply\r\nx\r\n"          // refused (exists): memcached shows nothing either
                + "set n 0 0 1 noreply\r\n7\r\n"
                + "incr n 3 noreply\r\n"
                + "append b 0 0 1 noreply\r\n+\r\n"
                + "delete gone noreply\r\n"
                + "touch a 100 noreply\r\n"
                + "get a b n\r\n"
                + "delete a noreply\r\n"
                + "get a\r\n";
        String fence = "END\r\nEND\r\n";
        String expected = "VALUE a 0 1\r\n1\r\nVALUE b 5 2\r\n2+\r\nVALUE n 0 2\r\n10\r\nEND\r\nEND\r\n";
        assertThat(exchange(backends.port, script, fence)).isEqualTo(expected);
        assertThat(exchange(reference.port(), script, fence)).isEqualTo(expected);
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "b", "2+");
            awaitValue(server, "n", "10");
            awaitValue(server, "a", null);
        }
    }

    @Test
    void metaCommandsWithQuietModeAndTheMnFence() throws Exception {
        String script = "ms a 1 q T0 F3\r\nx\r\n"
                + "ms b 2 q\r\nyy\r\n"
                + "mg a v f q O1 k\r\n"
                + "mg missing v q O2\r\n"                // miss: hidden
                + "md missing q O3\r\n"                  // NF: shown
                + "ma counter N0 J5\r\n"                 // autovivified
                + "ma counter v D2\r\n"
                + "mg YQ== b v\r\n"                      // base64 "a"
                + "md b q\r\n"
                + "mg b v\r\n"
                + "mn\r\n";
        String proxied = exchange(backends.port, script, "MN\r\n");
        assertThat(proxied).isEqualTo(exchange(reference.port(), script, "MN\r\n"));
        assertThat(proxied).isEqualTo("VA 1 f3 O1 ka\r\nx\r\nNF O3\r\nHD\r\nVA 1\r\n7\r\nVA 1\r\nx\r\nEN\r\nMN\r\n");
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "a", "x");
            awaitValue(server, "counter", "7");
            awaitValue(server, "b", null);
        }
    }

    @Test
    void binaryQuietOpsAreFencedByNoop() throws Exception {
        ByteArrayOutputStream script = new ByteArrayOutputStream();
        script.writeBytes(packet(0x11, "a", "A", 1, 0));             // SetQ: hidden
        script.writeBytes(packet(0x11, "b", "BB", 2, 0));            // SetQ
        script.writeBytes(packet(0x12, "a", "dup", 3, 0));           // AddQ of an existing key: shown (exists)
        script.writeBytes(packet(0x0d, "a", "", 4, 0));              // GetKQ hit: shown, opcode GetKQ
        script.writeBytes(packet(0x0d, "missing", "", 5, 0));        // GetKQ miss: hidden
        script.writeBytes(packet(0x09, "b", "", 6, 0));              // GetQ hit
        script.writeBytes(packet(0x14, "a", "", 7, 0));              // DeleteQ: hidden
        script.writeBytes(packet(0x0c, "a", "", 8, 0));              // GetK miss: shown
        script.writeBytes(packet(0x0a, "", "", 9, 0));               // Noop
        List<String> proxied = binaryExchange(backends.port, script.toByteArray());
        assertThat(proxied).isEqualTo(binaryExchange(reference.port(), script.toByteArray()));
        assertThat(proxied).extracting(r -> r.substring(0, 4) + "/" + r.substring(24, 32)).containsExactly(
                "8112/00000003", "810d/00000004", "8109/00000006", "810c/00000008", "810a/00000009");
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "b", "BB");
            awaitValue(server, "a", null);
        }
    }

    @Test
    void pipelinesOfTextMetaAndBinaryEachOnTheirOwnConnection() throws Exception {
        int n = 2000;
        CompletableFuture<Void> text = CompletableFuture.runAsync(() -> check(() -> {
            StringBuilder script = new StringBuilder();
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < n; i++) {
                script.append("set t").append(i).append(" 0 0 ").append(Integer.toString(i).length()).append("\r\n").append(i).append("\r\n");
                script.append("get t").append(i).append("\r\n");
                expected.append("STORED\r\nVALUE t").append(i).append(" 0 ").append(Integer.toString(i).length()).append("\r\n")
                        .append(i).append("\r\nEND\r\n");
            }
            assertThat(exchange(backends.port, script.toString(), "t" + (n - 1) + " 0 4\r\n" + (n - 1) + "\r\nEND\r\n"))
                    .isEqualTo(expected.toString());
        }));
        CompletableFuture<Void> meta = CompletableFuture.runAsync(() -> check(() -> {
            StringBuilder script = new StringBuilder();
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < n; i++) {
                script.append("ms m").append(i).append(" 1 q\r\nv\r\n").append("mg m").append(i).append(" v O").append(i).append("\r\n");
                expected.append("VA 1 O").append(i).append("\r\nv\r\n");
            }
            assertThat(exchange(backends.port, script + "mn\r\n", "MN\r\n")).isEqualTo(expected + "MN\r\n");
        }));
        CompletableFuture<Void> binary = CompletableFuture.runAsync(() -> check(() -> {
            ByteArrayOutputStream script = new ByteArrayOutputStream();
            for (int i = 0; i < n; i++) {
                script.writeBytes(packet(0x11, "b" + i, "v" + i, i, 0));   // SetQ
                script.writeBytes(packet(0x0c, "b" + i, "", i, 0));        // GetK
            }
            script.writeBytes(packet(0x0a, "", "", -1, 0));
            List<String> replies = binaryExchange(backends.port, script.toByteArray());
            assertThat(replies).hasSize(n + 1);
            for (int i = 0; i < n; i++) {
                String reply = replies.get(i);
                assertThat(reply.substring(0, 4) + reply.substring(12, 16) + reply.substring(24, 32)).as("reply %d", i)
                        .isEqualTo("810c0000" + "%08x".formatted(i));
                assertThat(reply).endsWith(hex("b" + i) + hex("v" + i));
            }
        }));
        CompletableFuture.allOf(text, meta, binary).get(40, TimeUnit.SECONDS);
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "t" + (n - 1), Integer.toString(n - 1));
            awaitValue(server, "m" + (n - 1), "v");
            awaitValue(server, "b" + (n - 1), "v" + (n - 1));
        }
    }

    @Test
    void longKeysAreRefusedWithoutTouchingABackendControlBytesPassAsInMemcached() throws Exception {
        String longest = "k".repeat(250);
        assertThat(exchange(backends.port, "set " + longest + " 0 0 1\r\nx\r\nget " + longest + "\r\n", "END\r\n"))
                .isEqualTo("STORED\r\nVALUE " + longest + " 0 1\r\nx\r\nEND\r\n");
        awaitValue(backends.dc3, longest, "x");

        long gets = stat(backends.dc1, "cmd_get");
        long sets = stat(backends.dc1, "cmd_set");
        String script = "get " + "k".repeat(251) + "\r\n"
                + "set " + "k".repeat(251) + " 0 0 1\r\nx\r\n"
                + "get bad\u0001key\r\n"
                + "set bad\u007fkey 0 0 1\r\nx\r\n"
                + "mg " + "k".repeat(251) + " v\r\n"
                + "get " + longest + "\r\nmn\r\n";
        // as memcached: a bad key is refused before the value is read, and the value is then read as a command
        String expected = "CLIENT_ERROR bad command line format\r\n".repeat(2) + "ERROR\r\n"
                + "END\r\nSTORED\r\nCLIENT_ERROR bad command line format\r\n"
                + "VALUE " + longest + " 0 1\r\nx\r\nEND\r\nMN\r\n";
        assertThat(exchange(backends.port, script, "MN\r\n")).isEqualTo(expected);
        assertThat(stat(backends.dc1, "cmd_get")).as("the two gets of valid keys reached dc1").isEqualTo(gets + 2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (stat(backends.dc1, "cmd_set") < sets + 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(stat(backends.dc1, "cmd_set")).as("only the set of a valid key reached dc1").isEqualTo(sets + 1);
    }

    /** What {@code printf 'set ...' | nc} does: send, shut the write side, read to the end, as memcached answers it. */
    @Test
    void aClientThatHalfClosesGetsEveryReplyThenTheEnd() throws Exception {
        String script = "set half 0 0 1\r\n1\r\nget half\r\nmg half v\r\nincr half 5\r\n";
        List<String> answers = new ArrayList<>();
        for (int port : new int[] {backends.port, backends.dc1.port()}) {
            try (Socket client = new Socket("127.0.0.1", port)) {
                client.setSoTimeout(5000);
                client.getOutputStream().write(script.getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                answers.add(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        }
        assertThat(answers).containsExactly("STORED\r\nVALUE half 0 1\r\n1\r\nEND\r\nVA 1\r\n1\r\n6\r\n",
                "STORED\r\nVALUE half 0 1\r\n1\r\nEND\r\nVA 1\r\n1\r\n6\r\n");
    }

    @Test
    void valuesOverTheItemSizeAreRefusedAndTheStreamGoesOn() throws Exception {
        long sets = stat(backends.dc1, "cmd_set");
        String over = "x".repeat(MemcachedBackends.ITEM_SIZE + 1);
        String script = "set big 0 0 " + over.length() + "\r\n" + over + "\r\n"
                + "set small 0 0 2\r\nok\r\n"
                + "ms big " + over.length() + " T0\r\n" + over + "\r\n"
                + "get small\r\n";
        String expected = "SERVER_ERROR object too large for cache\r\nSTORED\r\n"
                + "SERVER_ERROR object too large for cache\r\nVALUE small 0 2\r\nok\r\nEND\r\n";
        assertThat(exchange(backends.port, script, "END\r\n")).isEqualTo(expected);
        assertThat(exchange(reference.port(), script, "END\r\n")).as("memcached itself").isEqualTo(expected);
        assertThat(stat(backends.dc1, "cmd_set")).as("only 'small' reached dc1").isEqualTo(sets + 1);

        // a value of exactly the item size passes the proxy, but memcached's item header does not fit with it
        String exact = "y".repeat(MemcachedBackends.ITEM_SIZE);
        String edge = "set edge 0 0 " + exact.length() + "\r\n" + exact + "\r\nget small\r\n";
        assertThat(exchange(backends.port, edge, "END\r\n")).isEqualTo(exchange(reference.port(), edge, "END\r\n"))
                .startsWith("SERVER_ERROR object too large for cache\r\n");

        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        binary.writeBytes(packet(0x01, "big", over, 1, 0));
        binary.writeBytes(packet(0x0a, "", "", 2, 0));
        List<String> replies = binaryExchange(backends.port, binary.toByteArray());
        assertThat(replies).extracting(r -> r.substring(0, 4) + r.substring(12, 16)).containsExactly("81010003", "810a0000");
    }

    @Test
    void casInEveryDialectIsDecidedLocallyAndPropagated() throws Exception {
        try (Socket socket = backends.connect()) {
            InputStream in = socket.getInputStream();
            // text
            send(socket, "set c 7 0 2\r\nv1\r\ngets c\r\n");
            assertThat(readLine(in)).isEqualTo("STORED");
            String value = readLine(in);
            long cas = Long.parseLong(value.substring(value.lastIndexOf(' ') + 1));
            readUntil(in, "END\r\n");
            send(socket, "cas c 7 0 2 " + cas + "\r\nv2\r\ncas c 7 0 5 " + cas + "\r\nstale\r\ngets c\r\n");
            assertThat(readLine(in)).isEqualTo("STORED");
            assertThat(readLine(in)).isEqualTo("EXISTS");
            value = readLine(in);
            long next = Long.parseLong(value.substring(value.lastIndexOf(' ') + 1));
            assertThat(readUntil(in, "END\r\n")).isEqualTo("v2\r\nEND\r\n");
            send(socket, "cas c 7 0 2 " + next + " noreply\r\nv3\r\nmn\r\n");
            assertThat(readLine(in)).isEqualTo("MN");
            for (MemcachedServer server : backends.all) {
                awaitValue(server, "c", "v3");
                assertThat(server.request("get c\r\n", true).get(0)).isEqualTo("VALUE c 7 2");
            }
            // meta
            send(socket, "mg c c\r\n");
            long metaCas = Long.parseLong(readLine(in).substring("HD c".length()));
            send(socket, "ms c 2 C" + metaCas + " T0 F9 q\r\nv4\r\nms c 1 C" + metaCas + "\r\nx\r\n"
                    + "md c C" + (metaCas + 100) + "\r\nmn\r\n");
            assertThat(readUntil(in, "MN\r\n")).isEqualTo("EX\r\nEX\r\nMN\r\n");
            for (MemcachedServer server : backends.all) {
                awaitValue(server, "c", "v4");
                assertThat(server.request("get c\r\n", true).get(0)).isEqualTo("VALUE c 9 2");
            }
            send(socket, "mg c c\r\n");
            metaCas = Long.parseLong(readLine(in).substring("HD c".length()));
            send(socket, "md c C" + metaCas + "\r\n");
            assertThat(readLine(in)).isEqualTo("HD");
        }
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "c", null);
        }
        // binary: Set, then Replace and Delete with its cas
        binaryExchange(backends.port, concat(packet(0x01, "b", "one", 1, 0), packet(0x0a, "", "", 0, 0)));
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "b", "one");
        }
        // the cas that counts is the read cluster's: a Set's reply may come from any cluster, so ask with a Gets
        long cas = readCas(backends.port, "b");
        List<String> replies = binaryExchange(backends.port, concat(packet(0x03, "b", "two", 2, cas),
                packet(0x01, "b", "stale", 3, cas), packet(0x0a, "", "", 0, 0)));
        assertThat(replies).extracting(r -> r.substring(0, 4) + r.substring(12, 16)).containsExactly("81030000", "81010002", "810a0000");
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "b", "two");
        }
    }

    @Test
    void writesAndReadsPipelinedBehindACasWaitForItsPropagation() throws Exception {
        try (Socket socket = backends.connect()) {
            InputStream in = socket.getInputStream();
            send(socket, "set o 0 0 2\r\nv1\r\ngets o\r\n");
            assertThat(readLine(in)).isEqualTo("STORED");
            String value = readLine(in);
            long cas = Long.parseLong(value.substring(value.lastIndexOf(' ') + 1));
            readUntil(in, "END\r\n");
            // the set must reach every cluster after the cas's propagated value, and the get must see it
            for (int round = 0; round < 20; round++) {
                send(socket, "cas o 0 0 3 " + cas + "\r\ncas\r\nset o 0 0 5\r\nafter\r\ngets o\r\n");
                assertThat(readLine(in)).isEqualTo("STORED");
                assertThat(readLine(in)).isEqualTo("STORED");
                value = readLine(in);
                assertThat(value).startsWith("VALUE o 0 5 ");
                cas = Long.parseLong(value.substring(value.lastIndexOf(' ') + 1));
                assertThat(readUntil(in, "END\r\n")).isEqualTo("after\r\nEND\r\n");
            }
        }
        for (MemcachedServer server : backends.all) {
            awaitValue(server, "o", "after");
        }
        Thread.sleep(200);
        for (MemcachedServer server : backends.all) {
            assertThat(server.get("o")).as("no propagated cas value overtook the later set on " + server).isEqualTo("after");
        }
    }

    @Test
    void theProxyAnswersVersionAndVerbosityItselfAndAddsItsLinesToStats() throws Exception {
        String reply = exchange(backends.port, "version\r\nverbosity 1\r\nstats\r\n", "END\r\n");
        assertThat(reply).startsWith("VERSION 1.6.0-metacluster-").contains("\r\nOK\r\nSTAT pid ")
                .contains("\r\nSTAT version 1.6.").contains("\r\nSTAT metacluster_listener ").endsWith("END\r\n");
    }

    // ---- helpers

    private interface Check {
        void run() throws Exception;
    }

    private static void check(Check check) {
        try {
            check.run();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Sends {@code script} on a new connection and returns what came back up to {@code fence}. */
    private static String exchange(int port, String script, String fence) throws IOException {
        try (Socket socket = MemcachedBackends.connect(port)) {
            send(socket, script);
            return readUntil(socket.getInputStream(), fence);
        }
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Binary responses as hex, with the cas zeroed (every server numbers its own), up to and including a Noop's. */
    /** The cas of {@code key} as a binary Get through the proxy shows it (from the read cluster). */
    private static long readCas(int port, String key) throws IOException {
        try (Socket socket = MemcachedBackends.connect(port)) {
            socket.getOutputStream().write(packet(0x00, key, "", 0, 0));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] header = new byte[24];
            in.readFully(header);
            in.readFully(new byte[ByteBuffer.wrap(header).getInt(8)]);
            assertThat(ByteBuffer.wrap(header).getShort(6)).as("Get status").isZero();
            return ByteBuffer.wrap(header).getLong(16);
        }
    }

    private static List<String> binaryExchange(int port, byte[] script) throws IOException {
        try (Socket socket = MemcachedBackends.connect(port)) {
            socket.getOutputStream().write(script);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            List<String> replies = new ArrayList<>();
            while (true) {
                byte[] header = new byte[24];
                in.readFully(header);
                byte[] body = new byte[ByteBuffer.wrap(header).getInt(8)];
                in.readFully(body);
                String hex = HexFormat.of().formatHex(header) + HexFormat.of().formatHex(body);
                boolean getHit = (header[1] == 0x00 || header[1] == 0x09 || header[1] == 0x0c || header[1] == 0x0d) && header[7] == 0;
                replies.add(getHit ? hex.substring(0, 32) + "0".repeat(16) + hex.substring(48) : hex);
                if (header[1] == 0x0a) {
                    return replies;
                }
            }
        }
    }

    /** A binary request; Set and Add get 8 bytes of extras (flags 0, exptime 0). */
    private static byte[] packet(int opcode, String key, String value, int opaque, long cas) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        int extras = opcode == 0x01 || opcode == 0x02 || opcode == 0x03 || opcode == 0x11 || opcode == 0x12 ? 8 : 0;
        return ByteBuffer.allocate(24 + extras + k.length + v.length)
                .put((byte) 0x80).put((byte) opcode).putShort((short) k.length).put((byte) extras).put((byte) 0).putShort((short) 0)
                .putInt(extras + k.length + v.length).putInt(opaque).putLong(cas)
                .put(new byte[extras]).put(k).put(v).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }
}
