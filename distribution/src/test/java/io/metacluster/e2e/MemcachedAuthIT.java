package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A memcached listener with {@code auth}: clients log in with binary SASL PLAIN, as at a memcached
 * started with {@code -S}; before that nothing reaches the backend, and the text protocol is refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemcachedAuthIT {
    static MemcachedServer backend;
    static Daemon daemon;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        backend = MemcachedServer.start();
        port = FreePorts.find();
        try {
            daemon = Daemon.start("""
                    listeners:
                      - name: mc
                        protocol: memcached
                        bind: 127.0.0.1:%d
                        clusters: [dc1]
                        auth:
                          password: client-secret
                          users: [{ name: app, password: app-secret }]
                    clusters:
                      - { name: dc1, local: true, nodes: [%s] }
                    """.formatted(port, backend.address()));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        backend.close();
    }

    /** A binary request; Set gets 8 bytes of extras (flags 0, exptime 0). */
    private static byte[] packet(int opcode, String key, String value, int opaque) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        int extras = opcode == 0x01 || opcode == 0x11 ? 8 : 0;
        return ByteBuffer.allocate(24 + extras + k.length + v.length)
                .put((byte) 0x80).put((byte) opcode).putShort((short) k.length).put((byte) extras).put((byte) 0).putShort((short) 0)
                .putInt(extras + k.length + v.length).putInt(opaque).putLong(0)
                .put(new byte[extras]).put(k).put(v).array();
    }

    /** Sends {@code requests} and reads {@code replies} responses, each as "opcode status opaque body". */
    private static List<String> exchange(Socket socket, int replies, byte[]... requests) throws IOException {
        ByteArrayOutputStream script = new ByteArrayOutputStream();
        for (byte[] request : requests) {
            script.writeBytes(request);
        }
        socket.getOutputStream().write(script.toByteArray());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < replies; i++) {
            byte[] header = new byte[24];
            in.readFully(header);
            ByteBuffer h = ByteBuffer.wrap(header);
            byte[] body = new byte[h.getInt(8)];
            in.readFully(body);
            int bodyAt = (header[4] & 0xff) + h.getShort(2);
            out.add("%02x %04x %d %s".formatted(header[1] & 0xff, h.getShort(6) & 0xffff, h.getInt(12),
                    new String(body, bodyAt, body.length - bodyAt, StandardCharsets.ISO_8859_1)));
        }
        return out;
    }

    private static long backendGets() {
        return MemcachedBackends.stat(backend, "cmd_get");
    }

    private static long backendSets() {
        return MemcachedBackends.stat(backend, "cmd_set");
    }

    @Test
    void nothingReachesTheBackendBeforeSaslAndTheRightPasswordLetsTheClientIn() throws Exception {
        long gets = backendGets();
        long sets = backendSets();
        try (Socket socket = MemcachedBackends.connect(port)) {
            assertThat(exchange(socket, 6,
                    packet(0x01, "intruder", "x", 1),          // Set
                    packet(0x00, "intruder", "", 2),           // Get
                    packet(0x11, "intruder", "x", 3),          // SetQ: refused aloud all the same
                    packet(0x10, "", "", 4),                   // Stat
                    packet(0x0a, "", "", 5),                   // Noop
                    packet(0x20, "", "", 6)))                  // SASL List Mechs
                    .containsExactly("01 0020 1 Auth failure.", "00 0020 2 Auth failure.", "11 0020 3 Auth failure.",
                            "10 0020 4 Auth failure.", "0a 0020 5 Auth failure.", "20 0000 6 PLAIN");
            assertThat(exchange(socket, 3,
                    packet(0x21, "PLAIN", "\0app\0client-secret", 7),   // the default user's password for app
                    packet(0x21, "PLAIN", "\0app\0nope", 8),
                    packet(0x00, "intruder", "", 9)))
                    .containsExactly("21 0020 7 Auth failure.", "21 0020 8 Auth failure.", "00 0020 9 Auth failure.");
            assertThat(backendGets()).isEqualTo(gets);
            assertThat(backendSets()).isEqualTo(sets);

            assertThat(exchange(socket, 3,
                    packet(0x21, "PLAIN", "\0app\0app-secret", 10),
                    packet(0x01, "raw", "v", 11),
                    packet(0x00, "raw", "", 12)))
                    .containsExactly("21 0000 10 Authenticated", "01 0000 11 ", "00 0000 12 v");
        }
        assertThat(backend.get("raw")).isEqualTo("v");
        assertThat(backend.get("intruder")).isNull();
        assertThat(backendSets()).isEqualTo(sets + 1);
        // the default user: an empty user name and the listener's password
        try (Socket socket = MemcachedBackends.connect(port)) {
            assertThat(exchange(socket, 2, packet(0x21, "PLAIN", "\0\0client-secret", 1), packet(0x00, "raw", "", 2)))
                    .containsExactly("21 0000 1 Authenticated", "00 0000 2 v");
        }
    }

    @Test
    void theTextProtocolIsRefused() throws Exception {
        long gets = backendGets();
        long sets = backendSets();
        try (Socket socket = MemcachedBackends.connect(port)) {
            socket.getOutputStream().write("get a\r\nset t 0 0 1 noreply\r\nx\r\nset t 0 0 1\r\ny\r\nversion\r\nstats\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 5; i++) {
                assertThat(MemcachedBackends.readLine(socket.getInputStream())).isEqualTo("CLIENT_ERROR unauthenticated");
            }
        }
        assertThat(backendGets()).isEqualTo(gets);
        assertThat(backendSets()).isEqualTo(sets);
        assertThat(backend.get("t")).isNull();
    }

    /**
     * Before SASL, a value over 16 KiB is refused as soon as its header arrives, and swallowed as
     * it comes, never buffered: a stranger cannot make the daemon hold {@code max-frame-bytes}.
     * After SASL the listener's limits apply.
     */
    @Test
    void anUnauthenticatedClientCannotMakeTheDaemonBufferALargeValue() throws Exception {
        try (Socket socket = MemcachedBackends.connect(port)) {
            byte[] huge = packet(0x21, "PLAIN", "\0app\0app-secret", 1);
            ByteBuffer.wrap(huge).putInt(8, 5 + 50 * 1024 * 1024); // a body of 50 MiB announced, 100 bytes of it sent
            socket.getOutputStream().write(java.util.Arrays.copyOf(huge, 24 + 100));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] header = new byte[24];
            in.readFully(header);
            assertThat(ByteBuffer.wrap(header).getShort(6)).as("refused before the value came: status").isNotZero();
        }
        try (Socket socket = MemcachedBackends.connect(port)) {
            String large = "L".repeat(20_000);
            assertThat(exchange(socket, 3,
                    packet(0x21, "PLAIN", "\0app\0app-secret", 1),
                    packet(0x01, "large", large, 2),
                    packet(0x00, "large", "", 3)))
                    .containsExactly("21 0000 1 Authenticated", "01 0000 2 ", "00 0000 3 " + large);
        }
    }
}
