package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static org.assertj.core.api.Assertions.assertThat;

/** Which writes one cluster decides, and the write that repeats each one's effect on the others, byte for byte. */
class EffectsTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "XADD s * f v ; CONDITIONAL_WRITE",
            "XADD s 5-* f v ; CONDITIONAL_WRITE",
            "XADD s NOMKSTREAM MAXLEN ~ 10 LIMIT 5 * f v ; CONDITIONAL_WRITE",
            "XADD s MINID 3 * f v ; CONDITIONAL_WRITE",
            "XADD s 5-1 f v ; WRITE",
            "XADD s MAXLEN = 10 5-1 f * ; WRITE",
            "SPOP k ; CONDITIONAL_WRITE",
            "SPOP k 3 ; CONDITIONAL_WRITE",
            "INCRBYFLOAT k 1.5 ; CONDITIONAL_WRITE",
            "HINCRBYFLOAT h f 1.5 ; CONDITIONAL_WRITE",
            "PUBLISH c m ; CONDITIONAL_WRITE",
            "INCRBY k 1 ; WRITE",
            "SREM k m ; WRITE",
    })
    void whichWritesOneClusterDecides(String words, CommandKind kind) throws Exception {
        Command command = Codecs.command(codec, words.trim().split(" "));
        try {
            assertThat(command.kind()).isEqualTo(kind);
        } finally {
            command.release();
        }
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(delimiter = ';', value = {
            "XADD s * f v ; $3\\r\\n1-0\\r\\n ; XADD s 1-0 f v",
            "XADD s 7-* f v ; $3\\r\\n7-2\\r\\n ; XADD s 7-2 f v",
            "XADD s NOMKSTREAM MAXLEN ~ 10 LIMIT 5 * f v g w ; $15\\r\\n1700000000000-0\\r\\n ; XADD s NOMKSTREAM MAXLEN ~ 10 LIMIT 5 1700000000000-0 f v g w",
            "SPOP k ; $1\\r\\na\\r\\n ; SREM k a",
            "SPOP k 3 ; *2\\r\\n$1\\r\\na\\r\\n$2\\r\\nbc\\r\\n ; SREM k a bc",
            "SPOP k 3 ; ~2\\r\\n$1\\r\\na\\r\\n$2\\r\\nbc\\r\\n ; SREM k a bc",
            "INCRBYFLOAT k 0.1 ; $4\\r\\n10.6\\r\\n ; SET k 10.6 KEEPTTL",
            "HINCRBYFLOAT h f 1.5 ; $3\\r\\n2.5\\r\\n ; HSET h f 2.5",
            "PUBLISH c m ; :2\\r\\n ; PUBLISH c m",
            "BLPOP a b 0 ; *2\\r\\n$1\\r\\nb\\r\\n$1\\r\\nx\\r\\n ; LPOP b",
            "BRPOP a 0.5 ; *2\\r\\n$1\\r\\na\\r\\n$1\\r\\nx\\r\\n ; RPOP a",
            "BLMOVE a b LEFT RIGHT 0 ; $1\\r\\nx\\r\\n ; LMOVE a b LEFT RIGHT",
            "BRPOPLPUSH a b 5 ; $1\\r\\nx\\r\\n ; RPOPLPUSH a b",
            "BLMPOP 0 2 a b RIGHT COUNT 5 ; *2\\r\\n$1\\r\\nb\\r\\n*2\\r\\n$1\\r\\nx\\r\\n$1\\r\\ny\\r\\n ; RPOP b 2",
            "BLMPOP 0 1 a LEFT ; *2\\r\\n$1\\r\\na\\r\\n*1\\r\\n$1\\r\\nx\\r\\n ; LPOP a 1",
            "BZPOPMIN z y 0 ; *3\\r\\n$1\\r\\ny\\r\\n$1\\r\\nm\\r\\n$1\\r\\n1\\r\\n ; ZREM y m",
            "BZPOPMAX z 0 ; *3\\r\\n$1\\r\\nz\\r\\n$2\\r\\nmm\\r\\n$3\\r\\n1.5\\r\\n ; ZREM z mm",
            "BZMPOP 1 1 z MIN COUNT 2 ; *2\\r\\n$1\\r\\nz\\r\\n*2\\r\\n*2\\r\\n$1\\r\\na\\r\\n$1\\r\\n1\\r\\n*2\\r\\n$1\\r\\nb\\r\\n$1\\r\\n2\\r\\n ; ZREM z a b",
    })
    void theEffectRepeatsWhatTheServingClusterDid(String words, String reply, String effect) throws Exception {
        Command command = Codecs.command(codec, words.trim().split(" "));
        ByteBuf replyBuf = buf(reply.trim().replace("\\r\\n", "\r\n"));
        Command propagated = codec.conditionalWrites().propagation(command, replyBuf, ByteBufAllocator.DEFAULT);
        try {
            String[] expected = effect.trim().split(" ");
            assertThat(propagated.kind()).isEqualTo(CommandKind.WRITE);
            assertThat(propagated.name()).isEqualTo(command.name());
            assertThat(Codecs.text(propagated.frame())).isEqualTo(mb(expected));
            assertThat(propagated.keyCount()).isEqualTo(Math.min(command.keyCount(), expected[0].endsWith("MOVE")
                    || expected[0].equals("RPOPLPUSH") ? 2 : 1));
            if (command.keyCount() > 0) {
                assertThat(Codecs.text(propagated.key(0))).isEqualTo(expected[1]);
            }
        } finally {
            propagated.release();
            command.release();
            replyBuf.release();
        }
    }

    @ParameterizedTest(name = "{0} answered {1}")
    @CsvSource(delimiter = ';', value = {
            "XADD s NOMKSTREAM * f v ; $-1\\r\\n",
            "SPOP k ; $-1\\r\\n",
            "SPOP k 2 ; *0\\r\\n",
            "SET k v ; +OK\\r\\n",
            "SPOP k ; -WRONGTYPE Operation against a key holding the wrong kind of value\\r\\n",
            "BLPOP a 1 ; *-1\\r\\n",
            "BZMPOP 1 1 z MIN ; *-1\\r\\n",
            "WAIT 0 0 ; :0\\r\\n",
            "XREAD BLOCK 10 STREAMS s $ ; *-1\\r\\n",
            "XREAD BLOCK 10 STREAMS s 0 ; *1\\r\\n*2\\r\\n$1\\r\\ns\\r\\n*0\\r\\n",
    })
    void nothingChangedNothingPropagated(String words, String reply) throws Exception {
        Command command = Codecs.command(codec, words.trim().split(" "));
        ByteBuf replyBuf = buf(reply.trim().replace("\\r\\n", "\r\n"));
        try {
            assertThat(codec.conditionalWrites().propagation(command, replyBuf, ByteBufAllocator.DEFAULT)).isNull();
        } finally {
            command.release();
            replyBuf.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "BLPOP a 0 ; PINNED ; true",
            "BZMPOP 1 1 z MIN ; PINNED ; true",
            "WAIT 1 0 ; PINNED ; true",
            "XREAD BLOCK 0 STREAMS s $ ; PINNED ; true",
            "XREAD COUNT 2 BLOCK 0 STREAMS s $ ; PINNED ; true",
            "XREAD STREAMS s 0 ; READ ; false",
            "SUBSCRIBE c ; PINNED ; false",
    })
    void blockingCommandsAreConversationsOfOneCommand(String words, CommandKind kind, boolean conversation) throws Exception {
        Command command = Codecs.command(codec, words.trim().split(" "));
        try {
            assertThat(command.kind()).isEqualTo(kind);
            assertThat(codec.pinning().conversation(command)).isEqualTo(conversation);
            assertThat(codec.pinning().endsConversation(command)).isEqualTo(conversation);
        } finally {
            command.release();
        }
    }

    @Test
    void anInlineXaddIsRewrittenAsAMultibulk() throws Exception {
        ByteBuf in = buf("XADD s * f v\r\n");
        Command command = codec.decode(in);
        in.release();
        ByteBuf reply = buf("$3\r\n1-0\r\n");
        Command propagated = codec.conditionalWrites().propagation(command, reply, ByteBufAllocator.DEFAULT);
        try {
            assertThat(Codecs.text(propagated.frame())).isEqualTo(mb("XADD", "s", "1-0", "f", "v"));
        } finally {
            propagated.release();
            command.release();
            reply.release();
        }
    }
    @Test
    void anXreadgroupOfNewEntriesBecomesTheXclaimRedisReplicatesEverywhere() throws Exception {
        Command command = Codecs.command(codec, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">");
        // RESP2: [[s, [[1-1, [a, 1]], [1-2, [b, 2]]]]]
        ByteBuf reply = buf("*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
                + "*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
        long before = System.currentTimeMillis();
        Command propagated = codec.conditionalWrites().propagation(command, reply, ByteBufAllocator.DEFAULT);
        try {
            assertThat(command.kind()).isEqualTo(CommandKind.CONDITIONAL_WRITE);
            String text = Codecs.text(propagated.frame());
            String time = text.split("\r\n")[18];
            assertThat(Long.parseLong(time)).isBetween(before, System.currentTimeMillis());
            assertThat(text).isEqualTo(mb("XCLAIM", "s", "g", "alice", "0", "1-1", "1-2", "TIME", time, "RETRYCOUNT", "1",
                    "FORCE", "JUSTID", "LASTID", "1-2"));
            assertThat(Codecs.text(propagated.key(0))).isEqualTo("s");
            assertThat(codec.conditionalWrites().alsoToServer(propagated)).as("the delivery time is the proxy's").isTrue();
        } finally {
            command.release();
            reply.release();
            propagated.release();
        }
    }

    @Test
    void anXreadgroupNoackOverTwoStreamsBecomesOneBlockOfGroupUpdates() throws Exception {
        Command command = Codecs.command(codec, "XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", "t", ">", ">");
        // RESP3: {s: [[1-1, [a, 1]]], t: []}
        ByteBuf reply = buf("%2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
                + "$1\r\nt\r\n*0\r\n");
        Command propagated = codec.conditionalWrites().propagation(command, reply, ByteBufAllocator.DEFAULT);
        try {
            assertThat(Codecs.text(propagated.frame())).isEqualTo(mb("MULTI") + mb("XGROUP", "CREATECONSUMER", "s", "g", "c")
                    + mb("XGROUP", "SETID", "s", "g", "1-1") + mb("EXEC"));
            assertThat(Codecs.text(propagated.key(0))).isEqualTo("s");
            assertThat(codec.conditionalWrites().alsoToServer(propagated)).as("nothing there to correct").isFalse();
        } finally {
            command.release();
            reply.release();
            propagated.release();
        }
    }
}
