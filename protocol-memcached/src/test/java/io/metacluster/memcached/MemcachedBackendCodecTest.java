package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemcachedBackendCodecTest {
    private static final BackendSettings SETTINGS = new BackendSettings("c", "127.0.0.1:11211", null, null, 0);

    private static BackendCodec newCodec() {
        return new MemcachedProtocol().newBackendCodec(SETTINGS, MemcachedProtocol.TEXT_LANE);
    }

    /** A codec of the lane that carries {@code request}. */
    private static BackendCodec newCodec(Command request) {
        return new MemcachedProtocol().newBackendCodec(SETTINGS, request.lane());
    }

    private static Command command(byte[] request) {
        List<Command> commands = decodeAll(new MemcachedProtocol().newClientCodec(LIMITS), request);
        assertThat(commands).hasSize(1);
        return commands.get(0);
    }

    /**
     * Splits {@code replies} with one codec, the reply of request i answering requests[i], feeding
     * the bytes cut at {@code cut} as a cumulating reader would; returns the replies as text.
     */
    static List<String> split(List<Command> requests, byte[] replies, int cut) throws ProtocolException {
        BackendCodec codec = newCodec(requests.get(0));
        ByteBuf in = Unpooled.buffer();
        List<String> out = new ArrayList<>();
        try {
            int next = 0;
            for (byte[] chunk : new byte[][] {java.util.Arrays.copyOfRange(replies, 0, cut), java.util.Arrays.copyOfRange(replies, cut, replies.length)}) {
                in.writeBytes(chunk);
                while (next < requests.size()) {
                    int length = codec.replyLength(in, requests.get(next));
                    if (length < 0) {
                        break;
                    }
                    out.add(escape(in.readSlice(length).toString(java.nio.charset.StandardCharsets.ISO_8859_1)));
                    next++;
                }
            }
            assertThat(in.isReadable()).as("every byte belongs to a reply").isFalse();
            return out;
        } finally {
            in.release();
        }
    }

    static List<String> assertSplitInvariant(List<Command> requests, byte[] replies) throws ProtocolException {
        List<String> whole = split(requests, replies, replies.length);
        for (int cut = 0; cut < replies.length; cut++) {
            assertThat(split(requests, replies, cut)).as("cut at %d", cut).isEqualTo(whole);
        }
        return whole;
    }

    @Test
    void splitsEveryTextReplyShape() throws Exception {
        List<Command> requests = new ArrayList<>();
        for (String request : new String[] {
                "get a b c\r\n", "gets a\r\n", "get z\r\n", "set a 0 0 1\r\nx\r\n", "incr n 1\r\n", "decr m 1\r\n",
                "delete a\r\n", "touch a 1\r\n", "flush_all\r\n", "gat 1 a\r\n", "get a\r\n",
                "mg a v\r\n", "mg a\r\n", "mg b v q\r\n", "ms a 1\r\nx\r\n", "md a\r\n", "ma n v\r\n", "me a\r\n", "cas a 0 0 1 5\r\nx\r\n"}) {
            requests.add(command(bytes(request)));
        }
        byte[] replies = bytes(
                "VALUE a 0 5\r\nEND\r\n\r\nVALUE c 7 13\r\nVALUE x 0 1\r\n\r\nEND\r\n"   // data that looks like END and VALUE lines
                + "VALUE a 0 0 42\r\n\r\nEND\r\n"
                + "END\r\n"
                + "STORED\r\n" + "43\r\n" + "NOT_FOUND\r\n" + "DELETED\r\n" + "TOUCHED\r\n" + "OK\r\n"
                + "VALUE a 0 1\r\nx\r\nEND\r\n"
                + "SERVER_ERROR out of memory\r\n"
                + "VA 4 f0\r\nEN\r\n\r\n" + "HD\r\n" + "EN\r\n" + "HD\r\n" + "NF\r\n" + "VA 2\r\n44\r\n"
                + "ME a exp=-1 la=1 cas=2 fetch=no cls=1 size=63\r\n" + "EXISTS\r\n");
        List<String> split;
        try {
            split = assertSplitInvariant(requests, replies);
        } finally {
            requests.forEach(Command::release);
        }
        assertThat(split).containsExactly(
                "VALUE a 0 5\\r\\nEND\\r\\n\\r\\nVALUE c 7 13\\r\\nVALUE x 0 1\\r\\n\\r\\nEND\\r\\n",
                "VALUE a 0 0 42\\r\\n\\r\\nEND\\r\\n",
                "END\\r\\n", "STORED\\r\\n", "43\\r\\n", "NOT_FOUND\\r\\n", "DELETED\\r\\n", "TOUCHED\\r\\n", "OK\\r\\n",
                "VALUE a 0 1\\r\\nx\\r\\nEND\\r\\n",
                "SERVER_ERROR out of memory\\r\\n",
                "VA 4 f0\\r\\nEN\\r\\n\\r\\n", "HD\\r\\n", "EN\\r\\n", "HD\\r\\n", "NF\\r\\n", "VA 2\\r\\n44\\r\\n",
                "ME a exp=-1 la=1 cas=2 fetch=no cls=1 size=63\\r\\n", "EXISTS\\r\\n");
    }

    @Test
    void splitsStatsRepliesOfEveryShape() throws Exception {
        List<Command> requests = new ArrayList<>();
        for (String request : new String[] {"stats\r\n", "stats items\r\n", "stats reset\r\n", "stats nonsense\r\n",
                "stats cachedump 1 2\r\n", "stats detail dump\r\n"}) {
            requests.add(command(bytes(request)));
        }
        byte[] replies = bytes("STAT pid 1\r\nSTAT libevent 2.1.12-stable\r\nEND\r\n" + "END\r\n" + "RESET\r\n" + "ERROR\r\n"
                + "ITEM a [1 b; 0 s]\r\nEND\r\n" + "PREFIX a get 1 hit 1 set 0 del 0\r\nEND\r\n");
        List<String> split;
        try {
            split = assertSplitInvariant(requests, replies);
        } finally {
            requests.forEach(Command::release);
        }
        assertThat(split).containsExactly("STAT pid 1\\r\\nSTAT libevent 2.1.12-stable\\r\\nEND\\r\\n", "END\\r\\n",
                "RESET\\r\\n", "ERROR\\r\\n", "ITEM a [1 b; 0 s]\\r\\nEND\\r\\n", "PREFIX a get 1 hit 1 set 0 del 0\\r\\nEND\\r\\n");
    }

    @Test
    void splitsBinaryReplies() throws Exception {
        List<Command> requests = List.of(
                command(BinaryRequestDecoderTest.request(0x0d, 0, "k", "", 1)),
                command(BinaryRequestDecoderTest.request(0x00, 0, "k", "", 2)),
                command(BinaryRequestDecoderTest.request(0x01, 8, "k", "v", 3)));
        byte[] replies = concat(
                BinaryRequestDecoderTest.response(0x0c, 0, "k", "value", 1),
                BinaryRequestDecoderTest.response(0x00, 1, "", "Not found", 2),
                BinaryRequestDecoderTest.response(0x01, 0, "", "", 3));
        assertThat(assertSplitInvariant(requests, replies)).hasSize(3);
        requests.forEach(Command::release);
    }

    @Test
    void aBinaryStatReplyRunsToTheResponseWithoutAKey() throws Exception {
        List<Command> requests = List.of(
                command(BinaryRequestDecoderTest.request(0x10, 0, "", "", 1)),
                command(BinaryRequestDecoderTest.request(0x10, 0, "nonsense", "", 2)),
                command(BinaryRequestDecoderTest.request(0x0a, 0, "", "", 3)));
        byte[] replies = concat(
                BinaryRequestDecoderTest.response(0x10, 0, "pid", "12", 1),
                BinaryRequestDecoderTest.response(0x10, 0, "uptime", "3", 1),
                BinaryRequestDecoderTest.response(0x10, 0, "", "", 1),
                BinaryRequestDecoderTest.response(0x10, 1, "", "Not found", 2),
                BinaryRequestDecoderTest.response(0x0a, 0, "", "", 3));
        List<String> split = assertSplitInvariant(requests, replies);
        requests.forEach(Command::release);
        assertThat(split).hasSize(3);
        assertThat(split.get(0)).contains("pid12").contains("uptime3");
        assertThat(split.get(1)).endsWith("Not found");
    }

    @Test
    void refusesWhatCannotBeAReply() {
        Command binary = command(BinaryRequestDecoderTest.request(0x00, 0, "k", "", 2));
        Command get = command(bytes("get a\r\n"));
        Command mg = command(bytes("mg a v\r\n"));
        ByteBuf badMagic = Unpooled.copiedBuffer(BinaryRequestDecoderTest.request(0x00, 0, "k", "", 2));
        ByteBuf badLength = Unpooled.copiedBuffer(bytes("VALUE a 0 x\r\n"));
        ByteBuf badVa = Unpooled.copiedBuffer(bytes("VA -1\r\n"));
        ByteBuf endless = Unpooled.copiedBuffer(bytes("x".repeat(MemcachedBackendCodec.MAX_LINE + 2)));
        try {
            assertThatThrownBy(() -> newCodec(binary).replyLength(badMagic, binary)).isInstanceOf(ProtocolException.class);
            assertThatThrownBy(() -> newCodec().replyLength(badLength, get)).isInstanceOf(ProtocolException.class);
            assertThatThrownBy(() -> newCodec().replyLength(badVa, mg)).isInstanceOf(ProtocolException.class);
            assertThatThrownBy(() -> newCodec().replyLength(endless, get)).isInstanceOf(ProtocolException.class);
        } finally {
            for (ByteBuf buf : List.of(badMagic, badLength, badVa, endless)) {
                buf.release();
            }
            binary.release();
            get.release();
            mg.release();
        }
    }

    /** One version request per connection, in the lane's protocol; its reply splits without a request. */
    @Test
    void theHandshakeIsOneVersionRequest() throws ProtocolException {
        BackendCodec text = newCodec();
        List<ByteBuf> hello = text.handshake(ByteBufAllocator.DEFAULT);
        assertThat(hello).hasSize(1);
        assertThat(drain(hello.get(0))).isEqualTo("version\r\n");
        ByteBuf version = ByteBufAllocator.DEFAULT.buffer().writeBytes(bytes("VERSION 1.6.18\r\n"));
        ByteBuf binaryVersion = ByteBufAllocator.DEFAULT.buffer().writeBytes(BinaryRequestDecoderTest.response(0x0b, 0, "", "1.6.18", 0));
        ByteBuf binaryRefusal = ByteBufAllocator.DEFAULT.buffer().writeBytes(BinaryRequestDecoderTest.response(0x0b, 0x81, "", "Unknown command", 0));
        try {
            assertThat(text.replyLength(version, null)).isEqualTo(version.readableBytes());
            assertThat(text.isError(null, version)).isFalse();

            BackendCodec binary = new MemcachedProtocol().newBackendCodec(SETTINGS, MemcachedProtocol.BINARY_LANE);
            hello = binary.handshake(ByteBufAllocator.DEFAULT);
            assertThat(hello).hasSize(1);
            assertThat(hex(hello.get(0))).isEqualTo("800b" + "00".repeat(22));
            hello.get(0).release();
            assertThat(binary.replyLength(binaryVersion, null)).isEqualTo(binaryVersion.readableBytes());
            assertThat(binary.isError(null, binaryVersion)).isFalse();
            assertThat(binary.isError(null, binaryRefusal)).isTrue();
        } finally {
            version.release();
            binaryVersion.release();
            binaryRefusal.release();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "set a 0 0 1\\r\\nx\\r\\n | STORED      | false",
            "set a 0 0 1\\r\\nx\\r\\n | NOT_STORED  | false",
            "set a 0 0 1\\r\\nx\\r\\n | EXISTS      | false",
            "incr a 1\\r\\n         | NOT_FOUND   | false",
            "incr a 1\\r\\n         | 12          | false",
            "set a 0 0 1\\r\\nx\\r\\n | SERVER_ERROR out of memory storing object | true",
            "incr a 1\\r\\n         | CLIENT_ERROR cannot increment or decrement non-numeric value | true",
            "set a 0 0 1\\r\\nx\\r\\n | ERROR       | true",
            "ms a 1\\r\\nx\\r\\n      | NS          | false",
            "ms a 1\\r\\nx\\r\\n      | HD          | false",
            "md a\\r\\n             | NF          | false",
            "ms a 1\\r\\nx\\r\\n      | SERVER_ERROR out of memory | true",
            "get a\\r\\n            | END         | false",
            "get a\\r\\n            | VALUE ERROR 0 1\\r\\nx\\r\\nEND | false",
    })
    void textErrorsAreErrorLines(String request, String reply, boolean error) {
        Command command = command(bytes(TextRequestDecoderTest.unescape(request)));
        ByteBuf buf = Unpooled.copiedBuffer(bytes(TextRequestDecoderTest.unescape(reply) + "\r\n"));
        try {
            assertThat(newCodec(command).isError(command, buf)).isEqualTo(error);
        } finally {
            buf.release();
            command.release();
        }
    }

    @Test
    void binaryErrorsAreStatusesThatAreNotResults() {
        Command set = command(BinaryRequestDecoderTest.request(0x11, 8, "k", "v", 3));
        try {
            for (int status : new int[] {0x0000, 0x0001, 0x0002, 0x0005}) {
                assertThat(isError(set, status)).as("status %04x", status).isFalse();
            }
            for (int status : new int[] {0x0003, 0x0004, 0x0006, 0x0081, 0x0082, 0x0084, 0x0086}) {
                assertThat(isError(set, status)).as("status %04x", status).isTrue();
            }
        } finally {
            set.release();
        }
    }

    private static boolean isError(Command request, int status) {
        ByteBuf reply = Unpooled.copiedBuffer(BinaryRequestDecoderTest.response(0x01, status, "", "", 3));
        try {
            return newCodec(request).isError(request, reply);
        } finally {
            reply.release();
        }
    }
}
