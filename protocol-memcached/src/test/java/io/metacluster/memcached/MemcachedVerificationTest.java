package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How memcached replies compare for verification (value and flags, never cas), and the meta repairs. */
class MemcachedVerificationTest {
    private final MemcachedVerification verification = MemcachedVerification.INSTANCE;
    private final List<ByteBuf> buffers = new ArrayList<>();

    @AfterEach
    void release() {
        buffers.forEach(ByteBuf::release);
        buffers.clear();
    }

    private Command command(byte[] request) throws Exception {
        ByteBuf in = ByteBufAllocator.DEFAULT.buffer().writeBytes(request);
        buffers.add(in);
        Command command = new MemcachedClientCodec(ClientLimits.DEFAULTS).decode(in);
        buffers.add(command.frame());
        return command;
    }

    private Command text(String line) throws Exception {
        return command(line.getBytes(StandardCharsets.US_ASCII));
    }

    private ByteBuf buf(byte[] bytes) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer().writeBytes(bytes);
        buffers.add(buf);
        return buf;
    }

    private Verdict compare(Command command, String a, String b) {
        return verification.compare(command, buf(a.getBytes(StandardCharsets.US_ASCII)), buf(b.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void theScrubsFirstLookIsItsReadAndEnIsAnAbsentKey() {
        Command look = verification.scrubFingerprint(buf("k1".getBytes(StandardCharsets.US_ASCII)), ByteBufAllocator.DEFAULT);
        try {
            assertThat(look.frame().toString(StandardCharsets.US_ASCII)).isEqualTo("mg k1 v f\r\n");
        } finally {
            look.release();
        }
        assertThat(verification.scrubAbsent(buf("EN\r\n".getBytes(StandardCharsets.US_ASCII)))).isTrue();
        assertThat(verification.scrubAbsent(buf("VA 2 f0\r\nEN\r\n".getBytes(StandardCharsets.US_ASCII)))).isFalse();
    }

    @Test
    void getComparesKeysFlagsAndValuesButNotCas() throws Exception {
        Command gets = text("gets a b\r\n");
        assertThat(compare(gets, "VALUE a 5 1 10\r\nx\r\nVALUE b 0 2 11\r\nyy\r\nEND\r\n",
                "VALUE a 5 1 90\r\nx\r\nVALUE b 0 2 91\r\nyy\r\nEND\r\n")).isEqualTo(Verdict.SAME);
        assertThat(compare(gets, "VALUE a 5 1 10\r\nx\r\nEND\r\n", "VALUE a 6 1 10\r\nx\r\nEND\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(gets, "VALUE a 5 1 10\r\nx\r\nEND\r\n", "VALUE a 5 1 10\r\nz\r\nEND\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(gets, "VALUE a 5 1 10\r\nx\r\nEND\r\n", "END\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(gets, "SERVER_ERROR out of memory\r\n", "END\r\n")).isEqualTo(Verdict.INCOMPARABLE);
        assertThat(verification.verifiable(gets)).isTrue();
        assertThat(verification.verifiable(text("get a\r\n"))).isTrue();
    }

    @Test
    void metaGetIgnoresCasTtlAndAccessFlags() throws Exception {
        Command mg = text("mg k v f c t h l\r\n");
        assertThat(verification.verifiable(mg)).isTrue();
        assertThat(compare(mg, "VA 2 f5 c10 t30 h0 l1\r\nab\r\n", "VA 2 f5 c99 t29 h1 l9\r\nab\r\n")).isEqualTo(Verdict.SAME);
        assertThat(compare(mg, "VA 2 f5 c10 t30\r\nab\r\n", "VA 2 f6 c10 t30\r\nab\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(mg, "VA 2 f5 c10 t30\r\nab\r\n", "VA 2 f5 c10 t30\r\nac\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(mg, "VA 2 f5\r\nab\r\n", "EN\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(text("mg k s\r\n"), "HD s2\r\n", "HD s3\r\n")).isEqualTo(Verdict.DIFFERENT);
    }

    @Test
    void readsThatChangeStateOrAreDebugOutputAreNotVerified() throws Exception {
        assertThat(verification.verifiable(text("me k\r\n"))).isFalse();
        assertThat(verification.verifiable(text("mg k v N30\r\n"))).isFalse();
        assertThat(verification.verifiable(text("mg aw== b v\r\n"))).isFalse();
        assertThat(verification.verifiable(text("set k 0 0 1\r\nx\r\n"))).isFalse();
    }

    @Test
    void binaryGetComparesStatusFlagsKeyAndValueButNotCasOrOpaque() throws Exception {
        Command get = command(binaryGet("key"));
        assertThat(verification.verifiable(get)).isTrue();
        ByteBuf a = buf(binaryResponse(0, 1, 7, "hello"));
        ByteBuf b = buf(binaryResponse(0, 2, 8, "hello"));
        assertThat(verification.compare(get, a, b)).isEqualTo(Verdict.SAME);
        assertThat(verification.compare(get, a, buf(binaryResponse(0, 1, 7, "world")))).isEqualTo(Verdict.DIFFERENT);
        assertThat(verification.compare(get, a, buf(binaryResponse(1, 1, 7, "")))).isEqualTo(Verdict.DIFFERENT);
        assertThat(verification.compare(get, a, buf(binaryResponse(0x84, 1, 7, "")))).isEqualTo(Verdict.INCOMPARABLE);
    }

    @Test
    void repairsAreMetaCommandsKeepingFlagsAndTtl() throws Exception {
        ByteBuf key = text("get user:1\r\n").key(0);
        assertThat(frame(verification.delete(key, ByteBufAllocator.DEFAULT))).isEqualTo("md user:1\r\n");
        assertThat(verification.capture(key, ByteBufAllocator.DEFAULT)).extracting(MemcachedVerificationTest::frame)
                .containsExactly("mg user:1 v f t c\r\n");
        assertThat(frame(restore(key, "VA 3 f7 t120\r\nabc\r\n"))).isEqualTo("ms user:1 3 F7 T120\r\nabc\r\n");
        assertThat(frame(restore(key, "VA 0 f0 t-1\r\n\r\n"))).isEqualTo("ms user:1 0 F0 T0\r\n\r\n");
        assertThat(frame(restore(key, "EN\r\n"))).isEqualTo("md user:1\r\n");
        assertThat(frame(restore(key, "VA 1 f0 t0\r\nx\r\n"))).as("about to expire").isEqualTo("md user:1\r\n");
        assertThat(restore(key, "SERVER_ERROR busy\r\n")).isNull();
        Command ms = restore(key, "VA 3 f7 t120\r\nabc\r\n");
        assertThat(ms.lane()).isEqualTo(MemcachedProtocol.TEXT_LANE);
        assertThat(ms.key(0).toString(StandardCharsets.US_ASCII)).isEqualTo("user:1");
        ms.release();
    }

    private Command restore(ByteBuf key, String captured) {
        return verification.restore(key, List.of(buf(captured.getBytes(StandardCharsets.US_ASCII))), ByteBufAllocator.DEFAULT);
    }

    private static String frame(Command command) {
        try {
            return command.frame().toString(StandardCharsets.US_ASCII);
        } finally {
            command.release();
        }
    }

    private static byte[] binaryGet(String key) {
        ByteBuf out = io.netty.buffer.Unpooled.buffer();
        out.writeByte(0x80).writeByte(0x00).writeShort(key.length()).writeByte(0).writeByte(0).writeShort(0)
                .writeInt(key.length()).writeInt(0x1234).writeLong(0).writeCharSequence(key, StandardCharsets.US_ASCII);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    private static byte[] binaryResponse(int status, int opaque, long cas, String value) {
        ByteBuf out = io.netty.buffer.Unpooled.buffer();
        boolean hit = status == 0;
        out.writeByte(0x81).writeByte(0x00).writeShort(0).writeByte(hit ? 4 : 0).writeByte(0).writeShort(status)
                .writeInt((hit ? 4 : 0) + value.length()).writeInt(opaque).writeLong(cas);
        if (hit) {
            out.writeInt(5);
        }
        out.writeCharSequence(value, StandardCharsets.US_ASCII);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }
}
