package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.metacluster.testing.FuzzKit;
import io.metacluster.testing.MemcachedServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.metacluster.testing.FuzzKit.ascii;
import static io.metacluster.testing.FuzzKit.printable;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Differential fuzzing against a real memcached: what the client codec forwards must get
 * exactly one reply per forwarded request from the server, as the backend codec splits it.
 * Replies are matched first-in first-out on backend connections that many clients share, so one
 * reply too many or too few hands every later reply on that connection to the wrong request,
 * another client's included. Each round decodes a fuzzed stream (text, meta or binary), sends
 * the forwarded frames to memcached followed by a fence ({@code mn}, or a binary Noop), and
 * checks that the fence's reply comes exactly after one reply per request.
 *
 * <p>The shapes it and FuzzIT found, and others of the same class, are pinned below one by one
 * against the real server: quiet flags memcached recognises by their first byte, meta lines it
 * refuses before reading an {@code ms} value (too many tokens, a long key token), flags it refuses
 * while parsing them, and command lines it reads only up to a NUL.
 */
class MemcachedDesyncFuzzTest {
    static final long CI_CASES = 1_500;
    static final ClientLimits LIMITS = new ClientLimits(1024 * 1024, 1024, 4096);

    static MemcachedServer server;

    @BeforeAll
    static void start() {
        server = MemcachedServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyForwardedRequestGetsExactlyOneReply() throws Exception {
        long ran = FuzzKit.run("memcached one reply per request (real memcached)", CI_CASES, r -> {
            boolean binary = r.nextInt(3) == 0;
            List<byte[]> parts = new ArrayList<>();
            for (int i = 1 + r.nextInt(6); i > 0; i--) {
                parts.add(binary ? MemcachedBinaryFuzzTest.packet(r, LIMITS) : MemcachedTextFuzzTest.request(r, LIMITS));
            }
            byte[] input = FuzzKit.concat(parts);
            if (r.nextBoolean()) {
                input = FuzzKit.mutate(r, input);
            }
            if (input.length == 0) {
                return;
            }
            input[0] = binary ? (byte) 0x80 : input[0] == (byte) 0x80 ? (byte) 'x' : input[0];
            String problem = oneReplyEach(input, binary);
            if (problem != null) {
                throw new AssertionError(problem);
            }
        });
        assertThat(ran).isPositive();
    }

    // ------------------------------------------------------------------ shapes found, pinned against the real server

    /** memcached takes every flag token starting with q for q (it reads a flag's first byte only); all are stripped. */
    @Test
    void everyQPrefixedQuietFlagIsStripped() throws IOException {
        assertOneReplyEach("mg fuzz:missing v q0\r\n");
        assertOneReplyEach("md fuzz:missing q-1\r\n");
        assertOneReplyEach("mg fuzz:missing v q\r\r\n"); // a stray CR ends the token, not the line
        assertOneReplyEach("ms fuzz:k 1 qq\r\nx\r\n");
        assertOneReplyEach("ma fuzz:missing quiet\r\n");
    }

    /** A flag whose first byte repeats another's (q q included), is not ASCII or is unknown: memcached's error, from the proxy. */
    @Test
    void duplicateAndUnknownFlagsAreRefusedByTheProxy() throws IOException {
        assertOneReplyEach("mg fuzz:missing v q q\r\nmg fuzz:missing v q q0\r\nmd fuzz:missing q q\r\nma fuzz:missing q q\r\n");
        assertOneReplyEach("mg fuzz:missing v v\r\nmg fuzz:missing z\r\nmg fuzz:missing \u0080\r\nma fuzz:missing Z\r\n");
        assertOneReplyEach("ms fuzz:k 5 q q\r\nget a\r\nms fuzz:k 5 z\r\nget a\r\n"); // value swallowed, never run
    }

    /** Flag values memcached refuses after it read the value length: forwarded, one error line each. */
    @Test
    void badFlagValuesAndModesGetOneErrorEach() throws IOException {
        assertOneReplyEach("ms fuzz:k 2 q MZ\r\nab\r\nms fuzz:k 2 q Mxx\r\nab\r\nms fuzz:k 2 q Tabc\r\nab\r\n"
                + "ms fuzz:k 2 q O" + "1".repeat(40) + "\r\nab\r\nms fuzz:k 2 q C-1\r\nab\r\nms fuzz:k 2 q b\r\nab\r\n");
        assertOneReplyEach("ma fuzz:k q MZ\r\nma fuzz:k q Dx\r\nma fuzz:k q Jx N0\r\nma fuzz:missing q\r\nma fuzz:missing q N0\r\n"
                + "md fuzz:missing q Tx\r\nmg fuzz:missing q Nx\r\nmg fuzz:missing q O" + "1".repeat(40) + "\r\n");
        assertOneReplyEach("me fuzz:k q q\r\nme fuzz:k b\r\nme fuzz:k\r\n");
    }

    /** memcached 1.6.18 refuses a meta line of 20 tokens or more before it reads an ms value: the proxy refuses it. */
    @Test
    void metaLinesOfTwentyTokensOrMoreAreRefusedByTheProxy() throws IOException {
        assertOneReplyEach("ms fuzz:k 5" + flags(19) + "\r\nget a\r\n"); // the colleague's reproducer: memcached ran "get a"
        assertOneReplyEach("ms fuzz:k 5" + flags(17) + "\r\nget a\r\n");
        assertOneReplyEach("ms fuzz:k 5" + flags(16) + "\r\nhello\r\n"); // 19 tokens: forwarded
        assertOneReplyEach("mg fuzz:k" + flags(17) + "\r\nmg fuzz:k" + flags(18) + "\r\nmd fuzz:k" + flags(18) + "\r\n"
                + "ma fuzz:k" + flags(18) + "\r\n");
    }

    /** memcached refuses a key token over 250 bytes, base64 or not, before it reads an ms value: so does the proxy. */
    @Test
    void keyTokensOver250BytesAreRefusedByTheProxy() throws IOException {
        assertOneReplyEach("ms " + "a".repeat(252) + " 5 b\r\nget a\r\n"); // memcached ran "get a"
        assertOneReplyEach("ms " + "a".repeat(336) + " 5 b\r\nget a\r\nmg " + "a".repeat(252) + " b v\r\n");
        assertOneReplyEach("ms " + "a".repeat(248) + "== 5 b\r\nhello\r\n"); // 250 bytes, bad base64: forwarded, one error
    }

    /** memcached reads a command line up to a NUL, so a noreply before one is a noreply: it is stripped. */
    @Test
    void linesAreTokenizedUpToANul() throws IOException {
        assertOneReplyEach("set fuzz:k 0 0 1 noreply\0\r\nx\r\nincr fuzz:k 1 noreply\0 \r\ntouch fuzz:k 1 noreply\0x\r\n");
        assertOneReplyEach("delete fuzz:k noreply\0\r\nflush_all 0 noreply\0\r\ncas fuzz:k 0 0 1 1 noreply\0\r\nx\r\n");
        assertOneReplyEach("mg fuzz:missing v\0 q\r\nmg fuzz:missing v q\0\r\nms fuzz:k 1 T1\0 q\r\nx\r\nget fuzz:k\0junk\r\n");
    }

    /** Text commands memcached refuses without reading their data block are refused by the proxy, the value swallowed. */
    @Test
    void storageCommandsMemcachedRefusesBeforeTheirValueAreNotForwarded() throws IOException {
        assertOneReplyEach("set fuzz:k 0 0 -1\r\nget a\r\n");
        assertOneReplyEach("set fuzz:k 0 0 5 noreply extra\r\nget a\r\n");
        assertOneReplyEach("set fuzz:k x 0 5\r\nget a\r\nset fuzz:k 0 x 5\r\nget a\r\ncas fuzz:k 0 0 5 x\r\nget a\r\n");
        assertOneReplyEach("set " + "k".repeat(251) + " 0 0 5\r\nget a\r\nset fuzz:k -1 0 5\r\nget a\r\n");
        assertOneReplyEach("set fuzz:k 4294967296 0 1\r\nx\r\nset fuzz:k 0 2147483647 1\r\nx\r\n"); // forwarded: memcached takes them
    }

    /** mn with arguments, verbosity, version: answered by the proxy, nothing forwarded. */
    @Test
    void localCommandsAreNotForwarded() throws IOException {
        assertOneReplyEach("mn a b c\r\nverbosity 1 noreply\r\nversion x\r\nmg fuzz:missing v\r\n");
    }

    /**
     * Why the proxy refuses lines over 2048 bytes (but get/gets): memcached closes a connection on
     * which more than 2048 bytes of a line arrived without its LF, which on a shared, pipelined
     * backend connection depends only on how TCP cut the stream. At the limit it waits.
     */
    @Test
    void memcachedDropsTheConnectionForALongLineArrivingInPieces() throws Exception {
        String head = "mg fuzz:missing v k";
        String atLimit = head + "x".repeat(TextRequestDecoder.SERVER_MAX_LINE - head.length() - 1) + "\r"; // 2048 bytes before LF
        assertThat(sendInTwo(atLimit, "\nmn\r\n")).isEqualTo("EN kfuzz:missing\r\nMN\r\n");
        assertThat(sendInTwo("x" + atLimit, "\nmn\r\n")).isEqualTo("<closed>");
        assertThat(oneReplyEach(ascii("x" + atLimit + "\nmn\r\n"), false)).as("refused, so never forwarded").isNull();
        String longGet = "get" + " fuzz:missing".repeat(200) + "\r";
        assertThat(sendInTwo(longGet, "\nmn\r\n")).isEqualTo("END\r\nMN\r\n");
    }

    private static String sendInTwo(String first, String rest) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(2_000);
            socket.setTcpNoDelay(true);
            socket.getOutputStream().write(ascii(first));
            socket.getOutputStream().flush();
            Thread.sleep(200);
            try {
                socket.getOutputStream().write(ascii(rest));
            } catch (IOException closed) {
                return "<closed>";
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] chunk = new byte[4096];
            while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("MN\r\n")) {
                int n;
                try {
                    n = socket.getInputStream().read(chunk);
                } catch (IOException reset) {
                    n = -1;
                }
                if (n < 0) {
                    return "<closed>";
                }
                got.write(chunk, 0, n);
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static String flags(int n) {
        String[] distinct = {"k", "s", "t", "c", "f", "v", "h", "u", "l", "O1", "P", "L", "I", "T1", "N1", "R1", "F1", "J1", "D1", "MS"};
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(' ').append(distinct[i]);
        }
        return out.toString();
    }

    private static void assertOneReplyEach(String input) throws IOException {
        assertThat(oneReplyEach(input.getBytes(StandardCharsets.ISO_8859_1), false)).isNull();
    }

    // ------------------------------------------------------------------ the check

    /**
     * Decodes {@code input} as one client connection, sends what would be forwarded to memcached
     * with a fence after it, and splits the answer as the engine would: {@code null} when there
     * was exactly one reply per request and then the fence's, else what went wrong.
     */
    static String oneReplyEach(byte[] input, boolean binary) throws IOException {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);
        ByteBuf in = Unpooled.wrappedBuffer(input);
        List<Command> forwarded = new ArrayList<>();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        try {
            try {
                for (int i = 0; i < 1000 && in.isReadable(); i++) {
                    int before = in.readableBytes();
                    Command c = codec.decode(in);
                    if (c == null) {
                        if (in.readableBytes() == before) {
                            break;
                        }
                    } else if (c.kind() == CommandKind.READ || c.kind() == CommandKind.WRITE
                            || c.kind() == CommandKind.CONDITIONAL_WRITE) {
                        forwarded.add(c);
                        wire.writeBytes(FuzzKit.bytesOf(c.frame()));
                    } else {
                        c.release();
                    }
                }
            } catch (ProtocolException e) {
                // the engine closes the client connection; what was forwarded before still counts
            }
            if (forwarded.isEmpty()) {
                return null;
            }
            byte[] fence = binary
                    ? new byte[] {(byte) 0x80, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7e, 0x7e, 0x7e, 0x7e, 0, 0, 0, 0, 0, 0, 0, 0}
                    : ascii("mn\r\n");
            wire.writeBytes(fence);
            return exchange(wire.toByteArray(), forwarded, binary, input);
        } finally {
            forwarded.forEach(Command::release);
            in.release();
        }
    }

    private static String exchange(byte[] wire, List<Command> forwarded, boolean binary, byte[] input) throws IOException {
        BackendCodec backend = new MemcachedProtocol().newBackendCodec(new BackendSettings("dc1", server.address(), null, null, 0),
                binary ? MemcachedProtocol.BINARY_LANE : MemcachedProtocol.TEXT_LANE);
        ByteBuf replies = Unpooled.buffer();
        String where = "\n  client sent: " + printable(input, 600) + "\n  forwarded:   " + printable(wire, 600);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(2_000);
            socket.getOutputStream().write(wire);
            InputStream from = socket.getInputStream();
            byte[] chunk = new byte[65536];
            int answered = 0;
            while (true) {
                while (answered < forwarded.size()) {
                    int length;
                    try {
                        length = backend.replyLength(replies, forwarded.get(answered));
                    } catch (ProtocolException e) {
                        return "the backend codec refused reply " + answered + ": " + e.getMessage() + where;
                    }
                    if (length < 0) {
                        break;
                    }
                    replies.skipBytes(length);
                    answered++;
                }
                int need = binary ? 24 : 4;
                if (answered == forwarded.size() && replies.readableBytes() >= need) {
                    int at = replies.readerIndex();
                    boolean fence = binary
                            ? replies.getUnsignedByte(at) == 0x81 && replies.getByte(at + 1) == 0x0a && replies.getInt(at + 12) == 0x7e7e7e7e
                            : replies.toString(at, 4, StandardCharsets.ISO_8859_1).equals("MN\r\n");
                    return fence ? null : "after " + answered + " replies for " + answered
                            + " requests the fence's is not next, memcached answered more: "
                            + printable(FuzzKit.bytesOf(replies), 300) + where;
                }
                int n;
                try {
                    n = from.read(chunk);
                } catch (SocketTimeoutException e) {
                    return "memcached sent " + answered + " replies (the fence's included, if it came) for " + forwarded.size()
                            + " requests and the fence, then nothing: a request got no reply" + where;
                }
                if (n < 0) {
                    return "memcached closed the connection after " + answered + " of " + forwarded.size() + " replies" + where;
                }
                replies.writeBytes(chunk, 0, n);
            }
        } finally {
            replies.release();
        }
    }
}
