package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BinaryRequestDecoderTest {
    private final ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);

    static byte[] request(int opcode, int extras, String key, String value, int opaque) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(24 + extras + k.length + v.length);
        out.put((byte) 0x80).put((byte) opcode).putShort((short) k.length).put((byte) extras).put((byte) 0).putShort((short) 0)
                .putInt(extras + k.length + v.length).putInt(opaque).putLong(0);
        for (int i = 0; i < extras; i++) {
            out.put((byte) (i + 1));
        }
        return out.put(k).put(v).array();
    }

    static byte[] response(int opcode, int status, String key, String value, int opaque) {
        byte[] request = request(opcode, 0, key, value, opaque);
        request[0] = (byte) 0x81;
        request[6] = (byte) (status >> 8);
        request[7] = (byte) status;
        return request;
    }

    /** A request each opcode accepts. */
    static byte[] valid(BinaryOpcode op, int opaque) {
        int extras = switch (op) {
            case SET, ADD, REPLACE, SETQ, ADDQ, REPLACEQ -> 8;
            case INCREMENT, DECREMENT, INCREMENTQ, DECREMENTQ -> 20;
            case VERBOSITY, TOUCH, GAT, GATQ, GATK, GATKQ -> 4;
            default -> 0;
        };
        boolean keyed = op.accepts(extras, 1, 0) && !op.accepts(extras, 0, 0);
        boolean value = op.accepts(extras, keyed ? 1 : 0, 5);
        return request(op.code, extras, keyed ? "key" : "", value ? "value" : "", opaque);
    }

    @ParameterizedTest
    @EnumSource(BinaryOpcode.class)
    void decodesEveryOpcode(BinaryOpcode op) {
        byte[] input = concat(valid(op, 0x01020304), request(0x0a, 0, "", "", 7));
        List<Command> commands = decodeAll(codec, input);
        try {
            assertThat(commands).hasSize(2);
            Command command = commands.get(0);
            assertThat(command.name()).isEqualTo(op.commandName);
            Request request = (Request) command.detail();
            assertThat(request.opcode()).isEqualTo(op.code);
            assertThat(request.opaque()).isEqualTo(0x01020304);
            assertThat(request.shape()).isEqualTo(op == BinaryOpcode.STAT ? ReplyShape.BINARY_STATS : ReplyShape.BINARY);
            if (op.kind == CommandKind.UNSUPPORTED) {
                assertThat(command.kind()).isEqualTo(CommandKind.UNSUPPORTED);
                assertThat(request.status()).isEqualTo(BinaryPacket.STATUS_UNKNOWN_COMMAND);
            } else {
                assertThat(command.kind()).isEqualTo(op.kind);
                ByteBuf frame = command.frame();
                assertThat(frame.getUnsignedByte(frame.readerIndex() + 1)).as("forwarded opcode").isEqualTo((short) op.forwardCode);
                assertThat(frame.getInt(frame.readerIndex() + 12)).as("opaque kept").isEqualTo(0x01020304);
                byte[] forwarded = new byte[frame.readableBytes()];
                frame.getBytes(frame.readerIndex(), forwarded);
                byte[] expected = valid(op, 0x01020304);
                expected[1] = (byte) op.forwardCode;
                assertThat(forwarded).isEqualTo(expected);
                assertThat(command.keyCount()).isEqualTo(op.accepts(0, 0, 0) || op == BinaryOpcode.FLUSH || op == BinaryOpcode.FLUSHQ
                        || op == BinaryOpcode.VERBOSITY || op == BinaryOpcode.STAT ? 0 : 1);
                if (command.keyCount() == 1) {
                    assertThat(text(command.key(0))).isEqualTo("key");
                }
            }
            assertThat(commands.get(1).name()).isEqualTo("noop");
        } finally {
            commands.forEach(Command::release);
        }
        assertSplitInvariant(LIMITS, input);
    }

    @Test
    void quietOpcodesAreForwardedLoudAndHideWhatTheyHide() {
        List<Command> commands = decodeAll(codec, concat(valid(BinaryOpcode.GETQ, 1), valid(BinaryOpcode.SETQ, 2), valid(BinaryOpcode.GET, 3)));
        Command getq = commands.get(0);
        Command setq = commands.get(1);
        Command get = commands.get(2);
        try {
            assertShown(getq, response(0x00, 0x0001, "", "Not found", 1), false);
            assertShown(getq, response(0x00, 0x0000, "", "value", 1), true);
            assertShown(getq, response(0x00, 0x0084, "", "oops", 1), true);
            assertShown(setq, response(0x01, 0x0000, "", "", 2), false);
            assertShown(setq, response(0x01, 0x0002, "", "Data exists for key.", 2), true);
            assertShown(get, response(0x00, 0x0001, "", "Not found", 3), true);
        } finally {
            commands.forEach(Command::release);
        }
    }

    private void assertShown(Command command, byte[] reply, boolean shown) {
        ByteBuf buf = Unpooled.copiedBuffer(reply);
        try {
            assertThat(Decoding.shows(codec, command, buf)).isEqualTo(shown);
            if (shown) {
                assertThat(buf.getUnsignedByte(1)).as("the client's opcode is restored").isEqualTo((short) ((Request) command.detail()).opcode());
            }
        } finally {
            buf.release();
        }
    }

    @Test
    void localAnswersKeepTheOpaque() {
        List<Command> commands = decodeAll(codec, concat(valid(BinaryOpcode.NOOP, 11), valid(BinaryOpcode.VERSION, 12),
                valid(BinaryOpcode.VERBOSITY, 13), valid(BinaryOpcode.STAT, 14), request(0x10, 0, "slabs", "", 15),
                valid(BinaryOpcode.QUIT, 16), valid(BinaryOpcode.QUITQ, 17)));
        // Stat is read from every node of the serving cluster (StatsReports), not answered here
        assertThat(commands.get(3).kind()).isEqualTo(CommandKind.READ);
        assertThat(codec.reports().isReport(commands.get(3))).isTrue();
        assertThat(text(commands.get(4).key(0))).isEqualTo("slabs");
        Context context = new Context();
        try {
            assertThat(packets(codec.answer(commands.get(0), context))).containsExactly("0a 0000 11 ");
            assertThat(packets(codec.answer(commands.get(1), context))).containsExactly("0b 0000 12 " + ProxyInfo.VERSION);
            assertThat(packets(codec.answer(commands.get(2), context))).containsExactly("1b 0000 13 ");
            assertThat(context.closed).isFalse();
            assertThat(packets(codec.answer(commands.get(5), context))).containsExactly("07 0000 16 ");
            assertThat(context.closed).isTrue();
            assertThat(codec.answer(commands.get(6), context)).isNull();
        } finally {
            commands.forEach(Command::release);
        }
    }

    /** Each response as "opcode status opaque key=value" (or the value alone when keyless), released. */
    static List<String> packets(ByteBuf buf) {
        List<String> out = new ArrayList<>();
        try {
            while (buf.isReadable()) {
                int at = buf.readerIndex();
                assertThat(buf.getUnsignedByte(at)).isEqualTo((short) 0x81);
                int keyLength = buf.getUnsignedShort(at + 2);
                int extras = buf.getUnsignedByte(at + 4);
                int body = buf.getInt(at + 8);
                String key = buf.toString(at + 24 + extras, keyLength, StandardCharsets.ISO_8859_1);
                String value = buf.toString(at + 24 + extras + keyLength, body - extras - keyLength, StandardCharsets.ISO_8859_1);
                out.add("%02x %04x %d %s".formatted(buf.getUnsignedByte(at + 1), buf.getUnsignedShort(at + 6), buf.getInt(at + 12),
                        key.isEmpty() ? value : key + "=" + value));
                buf.skipBytes(24 + body);
            }
        } finally {
            buf.release();
        }
        return out;
    }

    @Test
    void refusalsAreBinaryErrorsAndTheStreamGoesOn() {
        byte[] input = concat(
                request(0x55, 0, "", "junk", 1),                       // unknown opcode
                request(0x20, 0, "", "", 2),                           // SASL list mechanisms
                request(0x00, 0, "key", "", 6));
        List<String> described = assertSplitInvariant(LIMITS, input);
        assertThat(described).hasSize(3);
        List<Command> commands = decodeAll(codec, input);
        try {
            assertThat(errorOf(commands.get(0))).isEqualTo("55 0081 1 Unknown command");
            // SASL is answered by the proxy: without auth configured, as memcached without -S
            assertThat(commands.get(1).kind()).isEqualTo(CommandKind.ADMIN);
            assertThat(packets(codec.answer(commands.get(1), new Context()))).containsExactly("20 0081 2 Unknown command");
            assertThat(commands.get(2).kind()).isEqualTo(CommandKind.READ);
            // an engine-level error on a forwarded request: internal error with the request's opcode and opaque
            assertThat(packets(codec.error(ByteBufAllocator.DEFAULT, commands.get(2), "no cluster available")))
                    .containsExactly("00 0084 6 no cluster available");
        } finally {
            commands.forEach(Command::release);
        }
    }

    /** memcached 1.6.18 answers "Invalid arguments" with the request's opcode and opaque, then closes. */
    @Test
    void invalidArgumentsAreAnsweredThenTheConnectionCloses() throws Exception {
        byte[][] invalid = {
            request(0x00, 2, "key", "", 3),                        // Get with extras
            request(0x01, 8, "k".repeat(251), "v", 4),             // key too long
            request(0x01, 0, "key", "v", 5)};                      // Set without extras
        String[] expected = {"00 0004 3 Invalid arguments", "01 0004 4 Invalid arguments", "01 0004 5 Invalid arguments"};
        for (int i = 0; i < invalid.length; i++) {
            ClientCodec fresh = new MemcachedProtocol().newClientCodec(LIMITS);
            ByteBuf in = Unpooled.copiedBuffer(concat(valid(BinaryOpcode.NOOP, 1), invalid[i], valid(BinaryOpcode.NOOP, 2)));
            try {
                fresh.decode(in).release();
                assertThatThrownBy(() -> fresh.decode(in)).isInstanceOf(ProtocolException.class).hasMessage("Invalid arguments");
                assertThat(packets(fresh.error(ByteBufAllocator.DEFAULT, null, "Invalid arguments"))).containsExactly(expected[i]);
            } finally {
                in.release();
            }
        }
    }

    private String errorOf(Command command) {
        assertThat(command.kind()).isEqualTo(CommandKind.UNSUPPORTED);
        return packets(codec.error(ByteBufAllocator.DEFAULT, command, command.rejection())).get(0);
    }

    @Test
    void tooLargeValuesAreRefusedAndSwallowedEvenWhenSplit() {
        ClientLimits limits = new ClientLimits(10, 16, 256);
        byte[] input = concat(request(0x11, 8, "key", "v".repeat(11), 9), request(0x01, 8, "key", "v".repeat(10), 10),
                request(0x02, 8, "key", "v".repeat(11), 11), valid(BinaryOpcode.NOOP, 12));
        List<String> described = assertSplitInvariant(limits, input);
        assertThat(described).hasSize(4);
        // a Set or SetQ over the size unlinks the old value, as memcached: a Delete goes to the clusters
        assertThat(described.get(0)).startsWith("delete WRITE").contains("keys=key").contains("tooLarge=true");
        assertThat(described.get(1)).startsWith("set WRITE");
        assertThat(described.get(2)).startsWith("add UNSUPPORTED").endsWith("rejection=Too large.");
        ClientCodec small = new MemcachedProtocol().newClientCodec(limits);
        List<Command> commands = decodeAll(small, input);
        try {
            assertThat((int) commands.get(0).frame().getUnsignedByte(1)).isEqualTo(BinaryOpcode.DELETE.code);
            // whatever the Delete got, the client sees the SetQ's error: quiet hides only success
            ByteBuf deleted = Unpooled.buffer().writeBytes(request(0x04, 0, "", "", 9));
            deleted.setByte(0, 0x81);
            assertThat(packets(small.present(commands.get(0), deleted))).containsExactly("11 0003 9 Too large.");
            assertThat(packets(small.error(ByteBufAllocator.DEFAULT, commands.get(2), commands.get(2).rejection())))
                    .containsExactly("02 0003 11 Too large.");
        } finally {
            commands.forEach(Command::release);
        }
    }

    @Test
    void badMagicOrLengthsEndTheConnection() throws Exception {
        ByteBuf in = Unpooled.buffer();
        try {
            in.writeBytes(valid(BinaryOpcode.NOOP, 1)).writeBytes(bytes("get a\r\n" + "x".repeat(20)));
            codec.decode(in).release();
            assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(ProtocolException.class).hasMessage("Invalid magic");
            // memcached closes without a word
            assertThat(codec.error(ByteBufAllocator.DEFAULT, null, "Invalid magic")).isNull();
            byte[] contradictory = request(0x00, 0, "key", "", 2);
            contradictory[11] = 1; // body length 1 < key length 3: memcached answers "Unknown command" and closes
            ByteBuf bad = Unpooled.copiedBuffer(contradictory);
            ClientCodec fresh = new MemcachedProtocol().newClientCodec(LIMITS);
            assertThatThrownBy(() -> fresh.decode(bad)).isInstanceOf(ProtocolException.class).hasMessage("Unknown command");
            assertThat(packets(fresh.error(ByteBufAllocator.DEFAULT, null, "Unknown command"))).containsExactly("00 0081 2 Unknown command");
            bad.release();
        } finally {
            in.release();
        }
    }

    @Test
    void framesAreSlicesOfTheInput() throws Exception {
        ByteBuf in = Unpooled.copiedBuffer(concat(request(0x01, 8, "k", "hello", 1), request(0x11, 8, "q", "world", 2)));
        try {
            Command loud = codec.decode(in);
            Command quiet = codec.decode(in);
            in.setByte(24 + 8 + 1, 'J');
            in.setByte(38 + 24 + 8 + 1, 'W');
            assertThat(text(loud.frame())).endsWith("kJello");
            assertThat(text(quiet.frame())).endsWith("qWorld");
            assertThat(text(quiet.key(0))).isEqualTo("q");
            loud.release();
            quiet.release();
            assertThat(in.refCnt()).isEqualTo(1);
        } finally {
            in.release();
        }
    }

    @Test
    void detectsTheProtocolFromTheFirstByteOnly() {
        assertThat(describeAll(LIMITS, concat(bytes("get a\r\n"), valid(BinaryOpcode.NOOP, 1))))
                .first().asString().startsWith("get READ");
    }
}
