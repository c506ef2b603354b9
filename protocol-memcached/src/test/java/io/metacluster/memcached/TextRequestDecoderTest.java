package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextRequestDecoderTest {

    private static Command decodeOne(String input) {
        List<Command> commands = decodeAll(new MemcachedProtocol().newClientCodec(LIMITS), bytes(input));
        assertThat(commands).hasSize(1);
        return commands.get(0);
    }

    /** name, kind, forwarded frame, keys, and whether the reply is hidden (noreply). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "set k 1 2 5\\r\\nhello\\r\\n           | set       | WRITE | set k 1 2 5\\r\\nhello\\r\\n   | k     | NONE",
            "add k 0 0 0\\r\\n\\r\\n                | add       | WRITE | add k 0 0 0\\r\\n\\r\\n        | k     | NONE",
            "replace k 0 -1 1\\r\\nx\\r\\n          | replace   | WRITE | replace k 0 -1 1\\r\\nx\\r\\n  | k     | NONE",
            "append k 0 0 1\\r\\nx\\r\\n            | append    | WRITE | append k 0 0 1\\r\\nx\\r\\n    | k     | NONE",
            "prepend k 0 0 1 noreply\\r\\nx\\r\\n   | prepend   | WRITE | prepend k 0 0 1\\r\\nx\\r\\n   | k     | NOREPLY",
            "cas k 0 0 1 99\\r\\nx\\r\\n            | cas       | CONDITIONAL_WRITE | cas k 0 0 1 99\\r\\nx\\r\\n    | k     | NONE",
            "cas k 0 0 1 99 noreply\\r\\nx\\r\\n    | cas       | CONDITIONAL_WRITE | cas k 0 0 1 99\\r\\nx\\r\\n    | k     | NOREPLY",
            "set k 0 0 1 extra\\r\\nx\\r\\n         | set       | WRITE | set k 0 0 1 extra\\r\\nx\\r\\n | k     | NONE",
            "get a\\r\\n                          | get       | READ  | get a\\r\\n                   | a     | NONE",
            "gets a b  c\\r\\n                    | gets      | READ  | gets a b  c\\r\\n             | a,b,c | NONE",
            "gat 10 a b\\r\\n                     | gat       | READ  | gat 10 a b\\r\\n              | a,b   | NONE",
            "gats -1 a\\r\\n                      | gats      | READ  | gats -1 a\\r\\n               | a     | NONE",
            "incr n 5\\r\\n                       | incr      | WRITE | incr n 5\\r\\n                | n     | NONE",
            "decr n 18446744073709551615 noreply\\r\\n | decr | WRITE | decr n 18446744073709551615\\r\\n | n  | NOREPLY",
            "delete k\\r\\n                       | delete    | WRITE | delete k\\r\\n                | k     | NONE",
            "delete k 0\\r\\n                     | delete    | WRITE | delete k 0\\r\\n              | k     | NONE",
            "delete k noreply\\r\\n               | delete    | WRITE | delete k\\r\\n                | k     | NOREPLY",
            "delete k 0 noreply\\r\\n             | delete    | WRITE | delete k 0\\r\\n              | k     | NOREPLY",
            "touch k 10\\r\\n                     | touch     | WRITE | touch k 10\\r\\n              | k     | NONE",
            "touch k 10 noreply\\r\\n             | touch     | WRITE | touch k 10\\r\\n              | k     | NOREPLY",
            "flush_all\\r\\n                      | flush_all | WRITE | flush_all\\r\\n               |       | NONE",
            "flush_all 10\\r\\n                   | flush_all | WRITE | flush_all 10\\r\\n            |       | NONE",
            "flush_all noreply\\r\\n              | flush_all | WRITE | flush_all\\r\\n               |       | NOREPLY",
            "flush_all 0 noreply\\r\\n            | flush_all | WRITE | flush_all 0\\r\\n             |       | NOREPLY",
            "version\\r\\n                        | version   | ADMIN | version\\r\\n                 |       | NONE",
            "verbosity 1\\r\\n                    | verbosity | ADMIN | verbosity 1\\r\\n             |       | NONE",
            "verbosity 1 noreply\\r\\n            | verbosity | ADMIN | verbosity 1 noreply\\r\\n     |       | NOREPLY",
            "quit\\r\\n                           | quit      | ADMIN | quit\\r\\n                    |       | NONE",
            "stats\\r\\n                          | stats     | READ  | stats\\r\\n                   |       | NONE",
            "stats slabs\\r\\n                    | stats     | READ  | stats slabs\\r\\n             |       | NONE",
            "get a\\n                            | get       | READ  | get a\\n                     | a     | NONE",
    })
    void decodesEveryCommand(String input, String name, CommandKind kind, String frame, String keys, Quiet quiet) {
        String in = unescape(input);
        Command command = decodeOne(in);
        try {
            assertThat(command.name()).isEqualTo(name);
            assertThat(command.kind()).isEqualTo(kind);
            assertThat(text(command.frame())).isEqualTo(unescape(frame));
            assertThat(keysOf(command)).isEqualTo(keys == null ? "" : keys);
            assertThat(((Request) command.detail()).quiet()).isEqualTo(quiet);
        } finally {
            command.release();
        }
        assertSplitInvariant(LIMITS, bytes(in));
    }

    static String unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n");
    }

    private static String keysOf(Command c) {
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i < c.keyCount(); i++) {
            keys.append(i == 0 ? "" : ",").append(text(c.key(i)));
        }
        return keys.toString();
    }

    @Test
    void replyShapeFollowsTheCommand() {
        for (String[] row : new String[][] {
                {"get a b\r\n", "VALUES"}, {"gat 1 a\r\n", "VALUES"}, {"set a 0 0 1\r\nx\r\n", "LINE"},
                {"incr a 1\r\n", "LINE"}, {"delete a\r\n", "LINE"}, {"flush_all\r\n", "LINE"}}) {
            Command command = decodeOne(row[0]);
            assertThat(((Request) command.detail()).shape()).as(row[0]).hasToString(row[1]);
            command.release();
        }
    }

    @Test
    void pipelinedBatchSplitAnywhereDecodesTheSame() {
        byte[] batch = bytes("set a 0 0 5 noreply\r\nEND\r\n\r\nget a b\r\nincr n 1\r\nbogus\r\n"
                + "set " + "k".repeat(251) + " 0 0 3\r\nabc\r\ndelete a\r\nmg a v q\r\nms a 2 q T0\r\nhi\r\nmn\r\nversion\r\n");
        List<String> whole = assertSplitInvariant(LIMITS, batch);
        assertThat(whole).hasSize(11);
        assertThat(whole.get(0)).startsWith("set WRITE [set a 0 0 5\\r\\nEND\\r\\n\\r\\n]");
        assertThat(whole.get(3)).startsWith("unknown UNSUPPORTED [bogus\\r\\n]").endsWith("rejection=ERROR");
        assertThat(whole.get(4)).endsWith("rejection=CLIENT_ERROR bad command line format");
        assertThat(whole.get(5)).as("the refused set's value, read as a command").startsWith("unknown UNSUPPORTED [abc\\r\\n]");
        assertThat(whole.get(6)).startsWith("delete WRITE [delete a\\r\\n]");
    }

    @Test
    void multiGetIsOneReadWithEveryKey() {
        Command command = decodeOne("get a bb ccc\r\n");
        assertThat(command.kind()).isEqualTo(CommandKind.READ);
        assertThat(keysOf(command)).isEqualTo("a,bb,ccc");
        command.release();
    }

    @Test
    void tooManyKeysIsRefused() {
        ClientLimits limits = new ClientLimits(1024, 2, 4096);
        assertThat(describeAll(limits, bytes("get a b c\r\nget a b\r\n")))
                .satisfiesExactly(
                        first -> assertThat(first).endsWith("rejection=CLIENT_ERROR too many keys"),
                        second -> assertThat(second).startsWith("get READ"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"get %s\r\n", "delete %s\r\n", "incr %s 1\r\n", "touch %s 1\r\n", "gat 1 a %s\r\n", "mg %s v\r\n", "md %s\r\n"})
    void keysOver250BytesAreRefusedWithoutTouchingABackend(String template) {
        assertThat(describeAll(LIMITS, bytes(template.formatted("k".repeat(251)) + "get ok\r\n")))
                .satisfiesExactly(
                        refused -> assertThat(refused).contains("UNSUPPORTED").endsWith("rejection=CLIENT_ERROR bad command line format"),
                        next -> assertThat(next).startsWith("get READ [get ok"));
        // memcached stores and serves keys with control bytes: only spaces and the line end split tokens
        for (String key : new String[] {"k".repeat(250), "caf\u00e9", "a\u0001b", "tab\tkey", "del\u007f"}) {
            assertThat(describeAll(LIMITS, bytes(template.formatted(key)))).as(key)
                    .singleElement().asString().doesNotContain("UNSUPPORTED").contains("keys=" + (template.startsWith("gat") ? "a," : "") + key);
        }
    }

    /** memcached refuses these before reading the value, then reads the value line as a command. */
    @Test
    void storageWithABadKeyOrNumberReadsItsValueAsTheNextCommand() {
        for (String header : new String[] {"set " + "k".repeat(251) + " 0 0 9", "set k x 0 9", "set k 0 x 9", "cas k 0 0 9 x",
            "set k 0 99999999999 9", "set k 0 0 -1", "set k 0 0 x", "set k 0 0 4294967295", "set k 0 0 2147483646"}) {
            List<String> commands = assertSplitInvariant(LIMITS, bytes(header + "\r\nflush_all\r\nget a\r\n"));
            assertThat(commands).as(header).satisfiesExactly(
                    refused -> assertThat(refused).endsWith("rejection=CLIENT_ERROR bad command line format"),
                    value -> assertThat(value).startsWith("flush_all WRITE"),
                    next -> assertThat(next).startsWith("get READ"));
        }
    }

    @Test
    void numbersMayBeSignedAsStrtolReadsThem() {
        assertThat(describeAll(LIMITS, bytes("set k +5 -0 +1\r\nx\r\nset k 0 0 -0\r\n\r\ncas k 0 0 1 +7\r\ny\r\n")))
                .satisfiesExactly(
                        set -> assertThat(set).startsWith("set WRITE [set k +5 -0 +1\\r\\nx\\r\\n]"),
                        empty -> assertThat(empty).startsWith("set WRITE [set k 0 0 -0\\r\\n\\r\\n]"),
                        cas -> assertThat(cas).startsWith("cas CONDITIONAL_WRITE"));
    }

    @Test
    void oversizedValueIsRefusedAndSwallowedEvenWhenSplit() {
        ClientLimits limits = new ClientLimits(10, 16, 256);
        byte[] input = bytes("set k 0 0 11\r\nEND\r\nget bb\r\nget a\r\nset k 0 0 10\r\n0123456789\r\nms k 20 q\r\n" + "x".repeat(20)
                + "\r\nadd k 0 0 11 noreply\r\n" + "x".repeat(11) + "\r\nms aw== 11 b\r\n" + "x".repeat(11) + "\r\nmn\r\n");
        List<String> commands = assertSplitInvariant(limits, input);
        // memcached unlinks the old value of a set or ms refused for size (not of add & co): the proxy deletes it everywhere
        assertThat(commands).satisfiesExactly(
                refused -> assertThat(refused).startsWith("delete WRITE [delete k\\r\\n] keys=k").contains("tooLarge=true"),
                get -> assertThat(get).startsWith("get READ [get a\\r\\n]"),
                set -> assertThat(set).startsWith("set WRITE [set k 0 0 10\\r\\n0123456789\\r\\n]"),
                ms -> assertThat(ms).startsWith("delete WRITE [delete k\\r\\n]").contains("quiet=NONE").contains("tooLarge=true"),
                add -> assertThat(add).startsWith("add UNSUPPORTED").contains("NOREPLY").endsWith("object too large for cache"),
                ms -> assertThat(ms).startsWith("md WRITE [md aw== b\\r\\n] keys=aw==").contains("tooLarge=true"),
                mn -> assertThat(mn).startsWith("mn ADMIN"));
    }

    @Test
    void oversizedValueIsNotHeldInMemory() throws Exception {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(new ClientLimits(10, 16, 256));
        ByteBuf in = Unpooled.buffer();
        try {
            in.writeBytes(bytes("append k 0 0 1000000\r\n"));
            Command refused = codec.decode(in);
            assertThat(refused.rejection()).isEqualTo("SERVER_ERROR object too large for cache");
            refused.release();
            for (int i = 0; i < 1000; i++) {
                in.writeBytes(new byte[1000]);
                assertThat(codec.decode(in)).isNull();
                assertThat(in.readableBytes()).as("consumed as it arrives").isZero();
            }
            in.writeBytes(bytes("\r\nget a\r\n"));
            Command next = codec.decode(in);
            assertThat(next.name()).isEqualTo("get");
            next.release();
        } finally {
            in.release();
        }
    }

    @Test
    void dataBlockMustEndInCrlf() {
        List<String> commands = assertSplitInvariant(LIMITS, bytes("set a 0 0 5\r\nhelloXX\r\nget a\r\nset a 0 0 1 noreply\r\nxy\r\n"));
        assertThat(commands).satisfiesExactly(
                bad -> assertThat(bad).endsWith("rejection=CLIENT_ERROR bad data chunk"),
                // memcached reads exactly <bytes>+2 and parses what follows as the next command
                rest -> assertThat(rest).startsWith("unknown UNSUPPORTED [\\r\\n]"),
                get -> assertThat(get).startsWith("get READ"),
                quiet -> assertThat(quiet).contains("NOREPLY").endsWith("rejection=CLIENT_ERROR bad data chunk"),
                rest -> assertThat(rest).startsWith("unknown UNSUPPORTED [\\n]"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\\r\\n                    | ERROR",
            "GET a\\r\\n               | ERROR",
            "get\\r\\n                 | ERROR",
            "gat 1\\r\\n               | ERROR",
            "gat x a\\r\\n             | CLIENT_ERROR invalid exptime argument",
            "incr a\\r\\n              | ERROR",
            "incr a x\\r\\n            | CLIENT_ERROR invalid numeric delta argument",
            "incr a 18446744073709551616\\r\\n | CLIENT_ERROR invalid numeric delta argument",
            "touch a\\r\\n             | ERROR",
            "touch a x\\r\\n           | CLIENT_ERROR invalid exptime argument",
            "delete a 5\\r\\n          | CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]",
            "delete a 0 0\\r\\n        | CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]",
            "delete a 0 noreply x\\r\\n | ERROR",
            "flush_all x\\r\\n         | CLIENT_ERROR invalid exptime argument",
            "flush_all 1 2 3\\r\\n     | ERROR",
            "verbosity\\r\\n           | ERROR",
            "mg\\r\\n                  | ERROR",
            "thisisaverylongcommand\\r\\n | ERROR",
    })
    void malformedCommandsAreRefusedLikeMemcached(String input, String rejection) {
        Command command = decodeOne(unescape(input));
        assertThat(command.kind()).isEqualTo(CommandKind.UNSUPPORTED);
        assertThat(command.rejection()).isEqualTo(rejection);
        command.release();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "set a 0 0\\r\\n          | ERROR",
            "set a 0 0 1 noreply x\\r\\n | ERROR",
            "set a 0 0 -1\\r\\n       | CLIENT_ERROR bad command line format",
            "set a 0 0 x\\r\\n        | CLIENT_ERROR bad command line format",
            "cas a 0 0 1\\r\\n        | ERROR",
            "ms\\r\\n                 | ERROR",
            "ms a\\r\\n               | CLIENT_ERROR bad command line format",
            "ms a S2\\r\\n            | CLIENT_ERROR bad command line format",
            "ms a -1\\r\\n            | CLIENT_ERROR bad command line format",
    })
    void storageWithoutAReadableLengthIsRefusedAndTheConnectionGoesOn(String input, String message) {
        assertThat(describeAll(LIMITS, bytes(unescape(input) + "x\r\nget a\r\n"))).satisfiesExactly(
                refused -> assertThat(refused).endsWith("rejection=" + message),
                value -> assertThat(value).startsWith("unknown UNSUPPORTED [x\\r\\n]").endsWith("rejection=ERROR"),
                next -> assertThat(next).startsWith("get READ"));
    }

    /** memcached reads a get or gets line of any length: a multi-get is bounded by its keys and the frame limit. */
    @Test
    void longMultiGetLinesAreRead() {
        String keys = IntStream.rangeClosed(1, 20_000).mapToObj(i -> "k" + i).collect(Collectors.joining(" "));
        ClientLimits limits = new ClientLimits(1024 * 1024, 20_000, 4096);
        for (String name : new String[] {"get", "gets", "  get"}) {
            assertThat(describeAll(limits, bytes(name + " " + keys + "\r\n"))).singleElement().asString()
                    .startsWith(name.trim() + " READ").contains("k19999,k20000");
        }
        ClientCodec codec = new MemcachedProtocol().newClientCodec(new ClientLimits(1024, 20_000, 4096));
        ByteBuf in = Unpooled.copiedBuffer(bytes("get " + keys + "\r\n"));
        try {
            assertThatThrownBy(() -> codec.decode(in)).as("longer than max-frame-bytes")
                    .isInstanceOf(ProtocolException.class).hasMessage("CLIENT_ERROR line too long");
        } finally {
            in.release();
        }
    }

    @Test
    void lineTooLongEndsTheConnection() throws Exception {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(new ClientLimits(1024, 16, 32));
        ByteBuf in = Unpooled.buffer().writeBytes(bytes("mg " + "a".repeat(29)));
        try {
            assertThat(codec.decode(in)).as("32 bytes, no line end yet").isNull();
            in.writeBytes(bytes("bb"));
            assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(ProtocolException.class).hasMessage("CLIENT_ERROR line too long");
            ByteBuf error = codec.error(ByteBufAllocator.DEFAULT, null, "CLIENT_ERROR line too long");
            assertThat(drain(error)).isEqualTo("CLIENT_ERROR line too long\r\n");
        } finally {
            in.release();
        }
    }

    /** memcached reads a command line as a C string: a noreply before a NUL counts, anything after one does not. */
    @Test
    void linesAreTokenizedUpToANul() {
        assertDecodes("set k 0 0 1 noreply\0\r\nx\r\n", "set k 0 0 1\0\r\nx\r\n", Quiet.NOREPLY);
        assertDecodes("incr k 1 noreply\0 \r\n", "incr k 1\0 \r\n", Quiet.NOREPLY);
        assertDecodes("flush_all 0 noreply\0\r\n", "flush_all 0\0\r\n", Quiet.NOREPLY);
        assertDecodes("set k 0 0 1\0 noreply\r\nx\r\n", "set k 0 0 1\0 noreply\r\nx\r\n", Quiet.NONE);
        assertDecodes("mg k v\0 q\r\n", "mg k v\0 q\r\n", Quiet.NONE);
        assertDecodes("mg k v q\0\r\n", "mg k v\0\r\n", Quiet.META_MISS);
        Command get = decodeOne("get k\0junk\r\n");
        assertThat(keysOf(get)).isEqualTo("k");
        get.release();
        Command nothing = decodeOne("\0get k\r\n");
        assertThat(nothing.rejection()).isEqualTo("ERROR");
        nothing.release();
    }

    /** {@code input} decodes to one command forwarding {@code frame}, whose replies {@code quiet} filters, however it is split. */
    static void assertDecodes(String input, String frame, Quiet quiet) {
        Command command = decodeOne(input);
        try {
            assertThat(escape(text(command.frame()))).isEqualTo(escape(frame));
            assertThat(((Request) command.detail()).quiet()).isEqualTo(quiet);
        } finally {
            command.release();
        }
        assertSplitInvariant(LIMITS, bytes(input));
    }

    /**
     * memcached closes a connection when more than 2048 bytes of a line other than get/gets came
     * without its LF (which happens when a long line reaches it in two reads): such lines would
     * cut every client off the shared backend connection, so they are refused, values swallowed.
     */
    @Test
    void linesMemcachedWouldDropTheConnectionForAreRefused() {
        String flag2042 = "k" + "x".repeat(2040); // "mg k " + 2041 bytes + CR = 2047
        Command atLimit = decodeOne("mg k " + flag2042 + "x\r\n"); // 2048 bytes before the LF
        assertThat(atLimit.kind()).isEqualTo(CommandKind.READ);
        atLimit.release();
        Command over = decodeOne("mg k " + flag2042 + "xx\r\n");
        assertThat(over.rejection()).isEqualTo("CLIENT_ERROR line too long");
        over.release();
        Command shortOnceStripped = decodeOne("mg k " + flag2042 + " q\r\n");
        assertThat(shortOnceStripped.kind()).as("the forwarded line counts").isEqualTo(CommandKind.READ);
        shortOnceStripped.release();
        String keys = " kkkkkkkkkk".repeat(200);
        Command get = decodeOne("get" + keys + "\r\n");
        assertThat(get.kind()).as("memcached waits for a long get line").isEqualTo(CommandKind.READ);
        get.release();
        Command gat = decodeOne("gat 0" + keys + "\r\n");
        assertThat(gat.rejection()).isEqualTo("CLIENT_ERROR line too long");
        gat.release();
        Command indented = decodeOne(" ".repeat(101) + "gets" + keys + "\r\n");
        assertThat(indented.rejection()).as("memcached skips at most 100 spaces").isEqualTo("CLIENT_ERROR line too long");
        indented.release();
        assertThat(describeAll(LIMITS, bytes("ms k 5 " + flag2042 + "xx\r\nget a\r\nset k 0 0 5 " + "x".repeat(2040)
                + "\r\nget a\r\nmn\r\n"))).satisfiesExactly(
                ms -> assertThat(ms).endsWith("rejection=CLIENT_ERROR line too long"),
                set -> assertThat(set).endsWith("rejection=CLIENT_ERROR line too long"),
                mn -> assertThat(mn).startsWith("mn ADMIN"));
    }

    @Test
    void framesAreSlicesOfTheInput() throws Exception {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);
        ByteBuf in = Unpooled.copiedBuffer(bytes("set k 0 0 5\r\nhello\r\nset q 0 0 5 noreply\r\nworld\r\n"));
        try {
            Command plain = codec.decode(in);
            Command quiet = codec.decode(in);
            in.setByte(13, 'J');                  // the 'h' of hello
            in.setByte(20 + 21, 'W');             // the 'w' of world
            assertThat(text(plain.frame())).isEqualTo("set k 0 0 5\r\nJello\r\n");
            assertThat(text(quiet.frame())).isEqualTo("set q 0 0 5\r\nWorld\r\n");
            assertThat(quiet.frame()).isInstanceOf(CompositeByteBuf.class);
            assertThat(text(quiet.key(0))).isEqualTo("q");
            plain.release();
            quiet.release();
            assertThat(in.refCnt()).isEqualTo(1);
        } finally {
            in.release();
        }
    }

    @Test
    void noreplyHidesEveryReplyAndEveryError() {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);
        List<Command> commands = decodeAll(codec, bytes("set k 0 0 1 noreply\r\nx\r\nset " + "k".repeat(300) + " 0 0 1 noreply\r\nx\r\nset k 0 0 1\r\nx\r\n"));
        Command quiet = commands.get(0);
        Command refused = commands.get(1);
        Command loud = commands.get(2);
        for (String reply : new String[] {"STORED\r\n", "NOT_STORED\r\n", "SERVER_ERROR out of memory\r\n"}) {
            ByteBuf buf = Unpooled.copiedBuffer(bytes(reply));
            assertThat(Decoding.shows(codec, quiet, buf)).isFalse();
            assertThat(Decoding.shows(codec, loud, buf)).isTrue();
            buf.release();
        }
        assertThat(drain(codec.error(ByteBufAllocator.DEFAULT, refused, refused.rejection()))).isEmpty();
        assertThat(drain(codec.error(ByteBufAllocator.DEFAULT, quiet, "no cluster available"))).isEmpty();
        assertThat(drain(codec.error(ByteBufAllocator.DEFAULT, loud, "no cluster available"))).isEqualTo("SERVER_ERROR no cluster available\r\n");
        commands.forEach(Command::release);
    }

    @Test
    void errorsAreRenderedVerbatimOrAsServerError() {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        assertThat(drain(codec.error(alloc, null, "ERROR"))).isEqualTo("ERROR\r\n");
        assertThat(drain(codec.error(alloc, null, "CLIENT_ERROR bad data chunk"))).isEqualTo("CLIENT_ERROR bad data chunk\r\n");
        assertThat(drain(codec.error(alloc, null, "SERVER_ERROR object too large for cache"))).isEqualTo("SERVER_ERROR object too large for cache\r\n");
        assertThat(drain(codec.error(alloc, null, "all clusters failed\r\nEND"))).isEqualTo("SERVER_ERROR all clusters failed  END\r\n");
    }

    @Test
    void adminCommandsAreAnsweredLocally() {
        ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);
        List<Command> commands = decodeAll(codec, bytes("version\r\nverbosity 1\r\nverbosity 1 noreply\r\nstats\r\nstats slabs\r\nmn\r\nquit\r\n"));
        Context context = new Context();
        assertThat(drain(codec.answer(commands.get(0), context))).isEqualTo("VERSION " + ProxyInfo.VERSION + "\r\n").startsWith("VERSION 1.6.");
        assertThat(drain(codec.answer(commands.get(1), context))).isEqualTo("OK\r\n");
        assertThat(codec.answer(commands.get(2), context)).isNull();
        // stats is a report of the serving cluster's nodes (StatsReports), not a local answer
        assertThat(codec.reports().isReport(commands.get(3))).isTrue();
        assertThat(codec.reports().isReport(commands.get(4))).isTrue();
        assertThat(drain(codec.answer(commands.get(5), context))).isEqualTo("MN\r\n");
        assertThat(context.closed).isFalse();
        assertThat(codec.answer(commands.get(6), context)).isNull();
        assertThat(context.closed).isTrue();
        commands.forEach(Command::release);
    }
}
