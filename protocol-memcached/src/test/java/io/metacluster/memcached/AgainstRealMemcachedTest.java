package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.testing.MemcachedServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The codecs against the real thing: a script sent straight to one memcached must show the client
 * exactly what the same script shows through the codecs and a second, identical memcached —
 * every request decoded, forwarded loud, its reply split by the backend codec and filtered by
 * {@code present}; local answers and refusals rendered by the client codec. This pins the
 * quiet rules, the reply shapes and the refusals to memcached's actual behaviour.
 */
class AgainstRealMemcachedTest {
    private static final ClientLimits LIMITS = new ClientLimits(1024 * 1024, 1024, 4096); // memcached's default item size
    private static MemcachedServer direct;
    private static MemcachedServer proxied;

    @BeforeAll
    static void start() {
        direct = MemcachedServer.start();
        proxied = MemcachedServer.start();
    }

    @AfterAll
    static void stop() {
        if (direct != null) {
            direct.close();
        }
        if (proxied != null) {
            proxied.close();
        }
    }

    @Test
    void textProtocol() throws Exception {
        String big = "b".repeat(1024 * 1024 + 1);
        String key250 = "k".repeat(250);
        assertSameAsMemcached(bytes("set a 0 0 5\r\nhello\r\nget a b\r\nset b 3 0 5 noreply\r\nEND\r\n\r\nget a b\r\ngets a\r\n"
                + "append a 0 0 2\r\n!!\r\nprepend a 0 0 2 noreply\r\n<<\r\nget a\r\nadd a 0 0 1\r\nx\r\nadd a 0 0 1 noreply\r\nx\r\n"
                + "replace zz 0 0 1\r\nx\r\ncas a 0 0 1 999\r\nx\r\ncas zz 0 0 1 1 noreply\r\nx\r\n"
                + "incr n 1\r\nset n 0 0 1\r\n5\r\nincr n 10\r\ndecr n 3 noreply\r\nget n\r\nincr a 1\r\n"
                + "touch a 100\r\ntouch zz 1 noreply\r\ngat 0 a zz\r\ngats 0 a\r\ndelete b\r\ndelete b\r\ndelete a noreply\r\ndelete a 0\r\n"
                + "get a b\r\nincr n x\r\nset " + key250 + " 0 0 1\r\n2\r\nget " + key250 + "\r\n"
                + "set big 0 0 " + big.length() + "\r\n" + big + "\r\nset big 0 0 " + big.length() + " noreply\r\n" + big + "\r\n"
                + "set c 0 0 5\r\nhelloXX\r\nget c\r\ndelete a 5\r\n"
                + "flush_all noreply\r\nget n\r\nflush_all 0\r\nverbosity 1\r\nverbosity 1 noreply\r\nbogus\r\nGET a\r\nget\r\n"
                + "mn\r\n"), "MN\r\n");
    }

    @Test
    void metaCommands() throws Exception {
        assertSameAsMemcached(bytes("ms m 2 T0 F7\r\nhi\r\nmg m v\r\nmg m v q\r\nmg m q\r\nmg nope v q\r\nmg nope v q k O5\r\n"
                + "mg m s v t f q k O9\r\nms m 2 q\r\nyo\r\nms m 2 q MA\r\n!!\r\nms zz 2 q MR\r\nxx\r\nms zz 2 q C99\r\nxx\r\n"
                + "md zz q\r\nmd m q C1\r\nmd m q\r\nmg m v\r\nma cnt q\r\nma cnt N0 J5\r\nma cnt q\r\nma cnt v\r\nma cnt q v\r\n"
                + "ma cnt MD D2 v\r\nma m q\r\nmg Y250 b v\r\nms Y250 2 b\r\nhi\r\nmg Y250 b v k\r\nmg Y250= b v\r\n"
                + "ms big 2000000 q\r\n" + "x".repeat(2_000_000) + "\r\nms c 3 q\r\nhiXX\r\nmn\r\nmg m v\r\nmn\r\n"), "MN\r\nEN\r\nMN\r\n");
    }

    /**
     * The shapes that once cost a reply or added one, as the client sees them: quiet flags by
     * their first byte, flags memcached refuses while parsing them (the proxy answers those
     * itself), too many tokens for md/mg, and lines read up to a NUL. Each refusal must look
     * exactly like memcached's own, values swallowed as memcached swallows them.
     */
    @Test
    void flagAndLineShapesAsMemcachedAnswersThem() throws Exception {
        String flags18 = " k s t c f v h u l O1 P L I T1 N1 R1 F1 J1";
        assertSameAsMemcached(bytes("ms q 2 T0\r\nhi\r\nmg nope v q0\r\nmg q v q0\r\nmd nope q-1\r\nmg nope v q\r\r\n"
                + "ms q 1 qq\r\nx\r\nmg q v\r\nma nope quiet\r\nme q q q\r\n"
                + "mg nope v q q\r\nmg q v v\r\nmg q z\r\nmg q \u0080\r\nmd q q q\r\nma q Z\r\nme\r\nmn a b\r\n"
                + "ms q 2 q q\r\nab\r\nms q 2 z\r\nab\r\nms q 2 q MZ\r\nab\r\nms q 2 q Tx\r\nab\r\nma q q Dx\r\n"
                + "mg q" + flags18 + "\r\nmd q" + flags18 + "\r\nma q" + flags18 + "\r\n"
                + "set n 0 0 1 noreply\0\r\n5\r\nincr n 1 noreply\0 \r\nget n\r\nmg nope v\0 q\r\n"
                + "set n 0 0 1\0 noreply\r\n7\r\nget n\0junk\r\nmn\r\n"
                // a fence that appears only once: "MN" also answers the "mn a b" above
                + "ms fence 3 T0\r\nend\r\nmg fence v\r\n"), "HD\r\nVA 3\r\nend\r\n");
    }

    /**
     * Malformed storage lines, which memcached refuses before reading the value and whose value
     * line it then reads as a command; keys with control bytes, which it stores; numbers with a
     * sign, which strtol reads; a multi-get line far over memcached's 2048-byte line limit.
     */
    @Test
    void errorRecoveryKeysAndLongLinesAsMemcachedAnswersThem() throws Exception {
        String keys = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "key" + i).collect(java.util.stream.Collectors.joining(" "));
        assertSameAsMemcached(bytes("set k 0 0 -1\r\nabc\r\nget k\r\ncas foo 0 0 6 \r\nabcdef\r\n"
                + "set k 0 0 4294967295\r\nabc\r\nset k 0 0 2147483646\r\nabc\r\nset k x 0 1\r\na\r\n"
                + "set k 0 0 -1 noreply\r\nabc\r\nset k 0 0\r\nabc\r\nms k -1\r\nabc\r\nms k\r\nabc\r\nms\r\nabc\r\n"
                + "set " + "k".repeat(251) + " 0 0 1\r\na\r\nms " + "k".repeat(251) + " 2\r\nab\r\n"
                + "set a\u0001b 0 0 1\r\nz\r\nget a\u0001b\r\nmg a\u0001b v\r\nms a\u007fb 1\r\ny\r\nget a\u007fb\r\n"
                + "incr a\u0001b 1\r\ndelete a\u0001b\r\ntouch a\u007fb 1\r\n"
                + "set k +5 -0 +1\r\nx\r\nmg k f v t\r\nset k 0 0 -0\r\n\r\nget k\r\nset key999 0 0 1\r\n9\r\n"
                + "get " + keys + "\r\ngets " + keys + "\r\nmn\r\n"), "MN\r\n");
    }

    @Test
    void binaryProtocol() throws Exception {
        byte[] setExtras = {0, 0, 0, 7, 0, 0, 0, 0};
        byte[] noExpiry = {0, 0, 0, 0};
        byte[] incrMissingFails = {0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        byte[] incrCreates = {0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0};
        byte[] none = {};
        byte[] script = concat(
                packet(0x01, setExtras, "a", "hello", 1),          // Set
                packet(0x09, none, "a", "", 2),                    // GetQ hit: shown
                packet(0x09, none, "zz", "", 3),                   // GetQ miss: hidden
                packet(0x0d, none, "zz", "", 4),                   // GetKQ miss: hidden
                packet(0x0d, none, "a", "", 5),                    // GetKQ hit: shown, opcode GetKQ
                packet(0x0c, none, "zz", "", 6),                   // GetK miss: shown
                packet(0x12, setExtras, "a", "x", 7),              // AddQ existing: error shown
                packet(0x11, setExtras, "b", "world", 8),          // SetQ: hidden
                packet(0x13, setExtras, "zz", "x", 9),             // ReplaceQ missing: shown
                packet(0x15, incrCreates, "n", "", 10),            // IncrementQ creating: hidden
                packet(0x05, incrCreates, "n", "", 11),            // Increment: shown
                packet(0x06, incrMissingFails, "zz", "", 12),      // Decrement missing: shown
                packet(0x16, incrMissingFails, "a", "", 13),       // DecrementQ non-numeric: shown
                packet(0x19, none, "b", "!!", 14),                 // AppendQ: hidden
                packet(0x1a, none, "b", "<<", 15),                 // PrependQ: hidden
                packet(0x00, none, "b", "", 16),                   // Get
                packet(0x1c, noExpiry, "b", "", 17),               // Touch
                packet(0x1e, noExpiry, "zz", "", 18),              // GATQ miss: hidden
                packet(0x24, noExpiry, "b", "", 19),               // GATKQ hit: shown
                packet(0x1d, noExpiry, "zz", "", 20),              // GAT miss: shown
                packet(0x14, none, "b", "", 21),                   // DeleteQ: hidden
                packet(0x14, none, "b", "", 22),                   // DeleteQ missing: shown
                packet(0x04, none, "a", "", 23),                   // Delete
                packet(0x01, setExtras, "big", "v".repeat(1024 * 1024 + 1), 24), // Too large
                packet(0x55, none, "", "", 25),                    // unknown opcode
                packet(0x20, none, "", "", 26),                    // SASL list mechanisms
                packet(0x18, none, "", "", 27),                    // FlushQ: hidden
                packet(0x08, noExpiry, "", "", 28),                // Flush with delay: shown
                packet(0x0a, none, "", "", 0xfeed));               // Noop: the fence
        assertSameAsMemcached(script, ByteBufUtil.hexDump(Arrays.copyOfRange(packet(0x0a, none, "", "", 0xfeed), 0, 24))
                .replaceFirst("^80", "81"));
    }

    private static byte[] packet(int opcode, byte[] extras, String key, String value, int opaque) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.allocate(24 + extras.length + k.length + v.length)
                .put((byte) 0x80).put((byte) opcode).putShort((short) k.length).put((byte) extras.length).put((byte) 0).putShort((short) 0)
                .putInt(extras.length + k.length + v.length).putInt(opaque).putLong(0).put(extras).put(k).put(v).array();
    }

    /** Runs {@code script} both ways; {@code fence} (text, or hex for binary) ends the client's view. */
    private static void assertSameAsMemcached(byte[] script, String fence) throws Exception {
        boolean binary = (script[0] & 0xff) == 0x80;
        byte[] expected = sendDirect(script, fence, binary);
        byte[] actual = sendThroughCodecs(script);
        if (binary) {
            assertThat(ByteBufUtil.hexDump(actual)).isEqualTo(ByteBufUtil.hexDump(expected));
        } else {
            assertThat(escape(latin1(actual))).isEqualTo(escape(latin1(expected)));
        }
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static Socket connect(MemcachedServer server) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static byte[] sendDirect(byte[] script, String fence, boolean binary) throws IOException {
        try (Socket socket = connect(direct)) {
            socket.getOutputStream().write(script);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] chunk = new byte[65536];
            while (true) {
                String seen = binary ? ByteBufUtil.hexDump(out.toByteArray()) : latin1(out.toByteArray());
                if (seen.endsWith(fence)) {
                    return out.toByteArray();
                }
                int n = in.read(chunk);
                assertThat(n).as("memcached closed before the fence; got: %s", escape(seen)).isPositive();
                out.write(chunk, 0, n);
            }
        }
    }

    /** As the engine will: decode, answer locally or forward loud, split the reply, show it or not. */
    private static byte[] sendThroughCodecs(byte[] script) throws Exception {
        MemcachedProtocol protocol = new MemcachedProtocol();
        ClientCodec client = protocol.newClientCodec(LIMITS);
        int lane = (script[0] & 0xff) == 0x80 ? MemcachedProtocol.BINARY_LANE : MemcachedProtocol.TEXT_LANE;
        BackendCodec backend = protocol.newBackendCodec(new BackendSettings("c", proxied.address(), null, null, 0), lane);
        ByteBuf requests = Unpooled.wrappedBuffer(script);
        ByteBuf replies = Unpooled.buffer();
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        Context context = new Context();
        try (Socket socket = connect(proxied)) {
            for (Command command; !context.closed && (command = client.decode(requests)) != null; ) {
                try {
                    ByteBuf local = switch (command.kind()) {
                        case ADMIN -> client.answer(command, context);
                        case UNSUPPORTED -> client.error(ByteBufAllocator.DEFAULT, command, command.rejection());
                        case READ, WRITE, CONDITIONAL_WRITE, PINNED, ASIDE, EVERY_NODE -> {
                            socket.getOutputStream().write(ByteBufUtil.getBytes(command.frame()));
                            yield null;
                        }
                    };
                    if (local != null) {
                        shown.write(ByteBufUtil.getBytes(local));
                        local.release();
                    }
                    if (command.kind() != io.metacluster.spi.CommandKind.ADMIN && command.kind() != io.metacluster.spi.CommandKind.UNSUPPORTED) {
                        assertThat(command.lane()).isEqualTo(lane);
                        int length;
                        while ((length = backend.replyLength(replies, command)) < 0) {
                            byte[] chunk = new byte[65536];
                            int n = socket.getInputStream().read(chunk);
                            assertThat(n).as("backend closed").isPositive();
                            replies.writeBytes(chunk, 0, n);
                        }
                        ByteBuf reply = replies.readSlice(length);
                        ByteBuf presented = client.present(command, reply.retain());
                        if (presented != null) {
                            shown.write(ByteBufUtil.getBytes(presented));
                            presented.release();
                        }
                    }
                } finally {
                    command.release();
                }
            }
            assertThat(replies.isReadable()).as("one reply per request").isFalse();
        } finally {
            requests.release();
            replies.release();
        }
        return shown.toByteArray();
    }
}
