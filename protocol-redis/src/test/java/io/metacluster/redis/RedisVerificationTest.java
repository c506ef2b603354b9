package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How Redis replies compare for verification, and the repair commands, from real request bytes. */
class RedisVerificationTest {
    private final RedisVerification verification = RedisVerification.standard();
    private final List<ByteBuf> buffers = new ArrayList<>();

    private Command command(String... args) throws Exception {
        ByteBuf in = buf(new String(RespClientEncoding.encode(args), StandardCharsets.ISO_8859_1));
        Command command = new RedisClientCodec(ClientLimits.DEFAULTS).decode(in);
        buffers.add(command.frame());
        return command;
    }

    private ByteBuf buf(String latin1) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer();
        buf.writeCharSequence(latin1, StandardCharsets.ISO_8859_1);
        buffers.add(buf);
        return buf;
    }

    private Verdict compare(Command command, String a, String b) {
        try {
            return verification.compare(command, buf(a), buf(b));
        } finally {
            release();
        }
    }

    private void release() {
        buffers.forEach(ByteBuf::release);
        buffers.clear();
    }

    private static String array(String... bulks) {
        StringBuilder out = new StringBuilder("*" + bulks.length + "\r\n");
        for (String bulk : bulks) {
            out.append('$').append(bulk.length()).append("\r\n").append(bulk).append("\r\n");
        }
        return out.toString();
    }

    @Test
    void theScrubsFirstLookIsDumpAndANilDumpIsAnAbsentKey() {
        Command dump = verification.scrubFingerprint(buf("k1"), ByteBufAllocator.DEFAULT);
        try {
            assertThat(dump.frame().toString(StandardCharsets.US_ASCII)).isEqualTo(array("DUMP", "k1"));
        } finally {
            dump.release();
        }
        assertThat(verification.scrubAbsent(buf("$-1\r\n"))).isTrue();
        assertThat(verification.scrubAbsent(buf("_\r\n"))).isTrue();
        assertThat(verification.scrubAbsent(buf("$3\r\n\u0000\u0001x\r\n"))).isFalse();
        release();
    }

    @Test
    void deterministicRepliesCompareByteForByte() throws Exception {
        assertThat(compare(command("GET", "k"), "$1\r\na\r\n", "$1\r\na\r\n")).isEqualTo(Verdict.SAME);
        assertThat(compare(command("GET", "k"), "$1\r\na\r\n", "$1\r\nb\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("GET", "k"), "$1\r\na\r\n", "$-1\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("LRANGE", "k", "0", "-1"), array("a", "b"), array("b", "a"))).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("ZRANGE", "k", "0", "-1", "WITHSCORES"), array("a", "1", "b", "2"), array("b", "2", "a", "1")))
                .isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("MGET", "a", "b"), array("1", "2"), array("1", "2"))).isEqualTo(Verdict.SAME);
        assertThat(compare(command("EXISTS", "a"), ":1\r\n", ":0\r\n")).isEqualTo(Verdict.DIFFERENT);
    }

    @Test
    void setLikeRepliesCompareAsSets() throws Exception {
        assertThat(compare(command("SMEMBERS", "s"), array("a", "b", "c"), array("c", "a", "b"))).isEqualTo(Verdict.SAME);
        assertThat(compare(command("SMEMBERS", "s"), array("a", "b", "c"), array("c", "a", "d"))).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("SMEMBERS", "s"), array("a", "b"), array("a", "b", "c"))).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("HKEYS", "h"), array("f1", "f2"), array("f2", "f1"))).isEqualTo(Verdict.SAME);
        assertThat(compare(command("SINTER", "a", "b"), array("x", "y"), array("y", "x"))).isEqualTo(Verdict.SAME);
    }

    /** A RESP3 client's reads and their re-reads share its lane, so both replies are RESP3: maps and sets compare as such. */
    @Test
    void resp3MapsAndSetsCompareAsTheirArraysDo() throws Exception {
        Command hgetall = resp3("HGETALL", "h");
        assertThat(compare(hgetall, "%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
                "%2\r\n$2\r\nf2\r\n$2\r\nv2\r\n$2\r\nf1\r\n$2\r\nv1\r\n")).isEqualTo(Verdict.SAME);
        hgetall = resp3("HGETALL", "h");
        assertThat(compare(hgetall, "%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
                "%2\r\n$2\r\nf1\r\n$2\r\nv2\r\n$2\r\nf2\r\n$2\r\nv1\r\n")).isEqualTo(Verdict.DIFFERENT);
        Command smembers = resp3("SMEMBERS", "s");
        assertThat(compare(smembers, "~2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\nb\r\n$1\r\na\r\n"))
                .isEqualTo(Verdict.SAME);
        smembers = resp3("SMEMBERS", "s");
        assertThat(compare(smembers, "~2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\nb\r\n$1\r\nc\r\n"))
                .isEqualTo(Verdict.DIFFERENT);
        Command get = resp3("GET", "k");
        assertThat(compare(get, "_\r\n", "_\r\n")).isEqualTo(Verdict.SAME);
    }

    /** A read in a SELECTed database is not verified: its repair (on the configured database's lane) would land elsewhere. */
    @Test
    void readsInASelectedDatabaseAreNotVerified() throws Exception {
        Command read = command("GET", "k");
        assertThat(verification.verifiable(read)).isTrue();
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        Codecs.Context context = new Codecs.Context();
        ByteBuf select = buf(new String(RespClientEncoding.encode("SELECT", "9"), StandardCharsets.ISO_8859_1));
        Command selecting = codec.decode(select);
        codec.answer(selecting, context).release();
        selecting.release();
        ByteBuf get = buf(new String(RespClientEncoding.encode("GET", "k"), StandardCharsets.ISO_8859_1));
        Command inNine = codec.decode(get);
        assertThat(verification.verifiable(inNine)).isFalse();
        inNine.release();
        release();
    }

    /** {@code args} decoded by a codec that answered HELLO 3 first, so on a RESP3 lane. */
    private Command resp3(String... args) throws Exception {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        ByteBuf in = buf(new String(RespClientEncoding.encode("HELLO", "3"), StandardCharsets.ISO_8859_1)
                + new String(RespClientEncoding.encode(args), StandardCharsets.ISO_8859_1));
        Command hello = codec.decode(in);
        codec.answer(hello, new Codecs.Context()).release();
        hello.release();
        Command command = codec.decode(in);
        assertThat(Session.resp3(command.lane())).isTrue();
        buffers.add(command.frame());
        return command;
    }

    @Test
    void hgetallComparesFieldValuePairsNotLooseElements() throws Exception {
        assertThat(compare(command("HGETALL", "h"), array("f1", "v1", "f2", "v2"), array("f2", "v2", "f1", "v1")))
                .isEqualTo(Verdict.SAME);
        // the same four strings, paired differently
        assertThat(compare(command("HGETALL", "h"), array("f1", "v1", "f2", "v2"), array("f1", "v2", "f2", "v1")))
                .isEqualTo(Verdict.DIFFERENT);
        // a value that looks like a field: "ab","c" versus "a","bc" stay apart thanks to the length headers
        assertThat(compare(command("HGETALL", "h"), array("ab", "c"), array("a", "bc"))).isEqualTo(Verdict.DIFFERENT);
    }

    @Test
    void repliesThatDifferByNatureAreNeverVerified() throws Exception {
        for (String[] args : List.of(new String[]{"TTL", "k"}, new String[]{"PTTL", "k"}, new String[]{"RANDOMKEY"},
                new String[]{"SRANDMEMBER", "s"}, new String[]{"SCAN", "0"}, new String[]{"TIME"}, new String[]{"INFO"},
                new String[]{"DBSIZE"}, new String[]{"HSCAN", "h", "0"}, new String[]{"OBJECT", "ENCODING", "k"},
                new String[]{"MEMORY", "USAGE", "k"}, new String[]{"EXPIRETIME", "k"}, new String[]{"DUMP", "k"},
                new String[]{"SET", "k", "v"})) {
            assertThat(verification.verifiable(command(args))).as(String.join(" ", args)).isFalse();
        }
        for (String[] args : List.of(new String[]{"GET", "k"}, new String[]{"HGETALL", "h"}, new String[]{"STRLEN", "k"},
                new String[]{"SMEMBERS", "s"}, new String[]{"HVALS", "h"})) {
            assertThat(verification.verifiable(command(args))).as(String.join(" ", args)).isTrue();
        }
        release();
    }

    @Test
    void errorRepliesAreIncomparableUnlessIdentical() throws Exception {
        assertThat(compare(command("GET", "k"), "-LOADING loading\r\n", "$1\r\na\r\n")).isEqualTo(Verdict.INCOMPARABLE);
        assertThat(compare(command("GET", "k"), "-WRONGTYPE x\r\n", "-WRONGTYPE x\r\n")).isEqualTo(Verdict.SAME);
        assertThat(compare(command("GET", "k"), "-LOADING loading\r\n", "-WRONGTYPE x\r\n")).isEqualTo(Verdict.INCOMPARABLE);
    }

    /** The key is a hash on one cluster and a string on another: that is a divergence to find and repair. */
    @Test
    void wrongTypeAgainstAValueIsADifference() throws Exception {
        String wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        assertThat(compare(command("GET", "k"), wrongType, "$1\r\na\r\n")).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("HGETALL", "k"), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", wrongType)).isEqualTo(Verdict.DIFFERENT);
        assertThat(compare(command("GET", "k"), wrongType, "$-1\r\n")).as("absent on the other").isEqualTo(Verdict.DIFFERENT);
    }

    @Test
    void repairsAreDelAndRestoreWithTheRemainingTtl() throws Exception {
        Command get = command("GET", "key:1");
        ByteBuf key = get.key(0);
        assertThat(text(verification.delete(key, ByteBufAllocator.DEFAULT))).isEqualTo(array("DEL", "key:1"));
        assertThat(verification.capture(key, ByteBufAllocator.DEFAULT)).extracting(RedisVerificationTest::text)
                .containsExactly(array("DUMP", "key:1"), array("PTTL", "key:1"));
        String payload = "\u0000\u0001v\t\u0000\u00ff\r\n";
        assertThat(text(verification.restore(key, List.of(buf("$" + payload.length() + "\r\n" + payload + "\r\n"), buf(":1234\r\n")),
                ByteBufAllocator.DEFAULT))).isEqualTo(array("RESTORE", "key:1", "1234", payload, "REPLACE"));
        assertThat(text(verification.restore(key, List.of(buf("$1\r\nx\r\n"), buf(":-1\r\n")), ByteBufAllocator.DEFAULT)))
                .isEqualTo(array("RESTORE", "key:1", "0", "x", "REPLACE"));
        assertThat(text(verification.restore(key, List.of(buf("$-1\r\n"), buf(":-2\r\n")), ByteBufAllocator.DEFAULT)))
                .isEqualTo(array("DEL", "key:1"));
        assertThat(text(verification.restore(key, List.of(buf("$1\r\nx\r\n"), buf(":-2\r\n")), ByteBufAllocator.DEFAULT)))
                .as("expired between DUMP and PTTL").isEqualTo(array("DEL", "key:1"));
        assertThat(verification.restore(key, List.of(buf("-ERR no\r\n"), buf(":5\r\n")), ByteBufAllocator.DEFAULT)).isNull();
        Command restore = verification.restore(key, List.of(buf("$1\r\nx\r\n"), buf(":5\r\n")), ByteBufAllocator.DEFAULT);
        assertThat(restore.keyCount()).isEqualTo(1);
        assertThat(restore.key(0).toString(StandardCharsets.US_ASCII)).isEqualTo("key:1");
        restore.release();
        release();
    }

    /** The command's frame as text; releases the command. */
    private static String text(Command command) {
        try {
            return command.frame().toString(StandardCharsets.ISO_8859_1);
        } finally {
            command.release();
        }
    }

    /** RESP multibulk encoding of string arguments (ISO-8859-1, so any byte survives). */
    private static final class RespClientEncoding {
        static byte[] encode(String... args) {
            return array(args).getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
