package io.metacluster.redis;

import io.metacluster.redis.Codecs.Decoded;
import io.metacluster.engine.DecodeFailure;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.decode;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

class RedisClientCodecTest {

    private static Decoded one(String... chunks) {
        List<Object> out = decode(chunks);
        assertThat(out).hasSize(1);
        assertThat(out.get(0)).isInstanceOf(Decoded.class);
        return (Decoded) out.get(0);
    }

    private static String failure(ClientLimits limits, String input) {
        List<Object> out = decode(limits, input);
        assertThat(out).isNotEmpty();
        assertThat(out.get(out.size() - 1)).isInstanceOf(DecodeFailure.class);
        return ((DecodeFailure) out.get(out.size() - 1)).message();
    }

    @Test
    void multibulkGetIsAReadWithItsKey() {
        Decoded get = one(mb("GET", "user:1"));
        assertThat(get.name()).isEqualTo("GET");
        assertThat(get.kind()).isEqualTo("READ");
        assertThat(get.keys()).containsExactly("user:1");
        assertThat(get.frame()).isEqualTo(mb("GET", "user:1"));
    }

    @Test
    void commandNamesAreCaseInsensitive() {
        assertThat(one(mb("gEt", "k")).name()).isEqualTo("GET");
        assertThat(one(mb("config", "get", "maxmemory")).name()).isEqualTo("CONFIG GET");
        assertThat(one(mb("CONFIG", "Get", "maxmemory")).kind()).isEqualTo("READ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "SET k v EX 10                                  | WRITE | k",
            "MSET a 1 b 2 c 3                               | WRITE | a,b,c",
            "MGET a b c                                     | READ  | a,b,c",
            "DEL a b                                        | WRITE | a,b",
            "EVAL 'return 1' 2 k1 k2 arg1                   | WRITE | k1,k2",
            "EVAL 'return 1' 0 arg1                         | WRITE | ''",
            "EVALSHA abc 1 k1                               | WRITE | k1",
            "EVAL_RO 'return 1' 1 k1                        | READ  | k1",
            "FCALL f 2 k1 k2 a                              | WRITE | k1,k2",
            "ZUNIONSTORE dest 2 z1 z2 WEIGHTS 1 2           | WRITE | dest,z1,z2",
            "ZINTERCARD 2 z1 z2 LIMIT 3                     | READ  | z1,z2",
            "XREAD COUNT 2 STREAMS s1 s2 0 0                | READ  | s1,s2",
            "XREADGROUP GROUP g c STREAMS s1 >              | CONDITIONAL_WRITE | s1",
            "XREADGROUP GROUP g c STREAMS s1 s2 > 0         | WRITE | s1,s2",
            "SORT list BY w_* GET o_* LIMIT 0 5 STORE dst   | WRITE | list,dst",
            "SORT list STORE a STORE b                      | WRITE | list,b",
            "SORT_RO list                                   | READ  | list",
            "MIGRATE host 6379 k 0 100                      | UNSUPPORTED | ''",
            "GEORADIUS g 0 0 10 km STORE dst                | WRITE | g,dst",
            "LMPOP 2 l1 l2 LEFT                             | WRITE | l1,l2",
            "OBJECT ENCODING k                              | READ  | k",
            "MEMORY USAGE k                                 | READ  | k",
            "BITOP AND dest a b                             | WRITE | dest,a,b",
            "RENAME a b                                     | WRITE | a,b",
            "GET                                            | UNSUPPORTED | ''",
            "EVAL 'x' 5 k1                                  | WRITE | ''",
            "EVAL 'x' notanumber k1                         | WRITE | ''",
            "KEYS *                                         | READ  | ''",
            "INFO                                           | READ  | ''",
            "FLUSHALL                                       | WRITE | ''",
            "COMMAND                                        | READ  | ''",
            "COMMAND DOCS get                               | READ  | ''",
            "SCRIPT EXISTS abc                              | READ  | ''",
            "SCRIPT LOAD 'return 1'                         | WRITE | ''",
    })
    void kindsAndKeys(String inline, String kind, String keys) {
        // inline on purpose: exercises the inline parser and its multibulk re-encoding as well
        Decoded command = one(inline + "\r\n");
        assertThat(command.kind()).as(inline).isEqualTo(kind);
        assertThat(command.keys()).as(inline).isEqualTo(keys.isEmpty() ? List.of() : List.of(keys.split(",")));
    }

    @Test
    void mgetKeyOffsetsPointAtThePayloads() throws Exception {
        ByteBuf in = ByteBufAllocator.DEFAULT.heapBuffer().writeBytes(mb("MGET", "a", "bb", "ccc").getBytes(StandardCharsets.US_ASCII));
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        Command command = codec.decode(in);
        try {
            String frame = text(command.frame());
            assertThat(command.keyCount()).isEqualTo(3);
            for (int i = 0; i < 3; i++) {
                ByteBuf key = command.key(i);
                int offset = key.arrayOffset() + key.readerIndex() - command.frame().arrayOffset() - command.frame().readerIndex();
                assertThat(frame.substring(offset, offset + key.readableBytes())).isEqualTo("a,bb,ccc".split(",")[i]);
                assertThat(frame.substring(offset - 2, offset)).isEqualTo("\r\n"); // right after the length header
            }
        } finally {
            command.release();
            in.release();
        }
    }

    @Test
    void framesAreSlicesOfTheInputNotCopies() throws Exception {
        ByteBuf in = ByteBufAllocator.DEFAULT.heapBuffer(256);
        in.writeBytes((mb("SET", "k", "value") + mb("GET", "k")).getBytes(StandardCharsets.US_ASCII));
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        Command set = codec.decode(in);
        Command get = codec.decode(in);
        try {
            assertThat(in.isReadable()).isFalse();
            assertThat(set.frame().hasArray()).isTrue();
            assertThat(set.frame().array()).isSameAs(in.array());
            assertThat(set.frame().arrayOffset()).isEqualTo(in.arrayOffset());
            assertThat(get.frame().array()).isSameAs(in.array());
            assertThat(get.frame().arrayOffset()).isEqualTo(in.arrayOffset() + mb("SET", "k", "value").length());
            assertThat(in.refCnt()).as("each frame holds a reference").isEqualTo(3);
        } finally {
            set.release();
            get.release();
            in.release();
        }
        assertThat(in.refCnt()).isZero();
    }

    @Test
    void directBuffersAreSlicedToo() throws Exception {
        ByteBuf in = ByteBufAllocator.DEFAULT.directBuffer(64);
        in.writeBytes(mb("GET", "k").getBytes(StandardCharsets.US_ASCII));
        Command get = new RedisClientCodec(ClientLimits.DEFAULTS).decode(in);
        try {
            if (in.hasMemoryAddress()) {
                assertThat(get.frame().memoryAddress()).isEqualTo(in.memoryAddress() + in.readerIndex() - get.frame().readableBytes());
            }
            assertThat(get.frame().unwrap()).isNotNull(); // a derived buffer, not a copy
        } finally {
            get.release();
            in.release();
        }
    }

    @Test
    void pipelinedBatchSplitAtEveryByteBoundaryGivesTheSameCommands() {
        String batch = mb("SET", "k", "v\r\nwith crlf") + "PING\r\n" + mb("MGET", "a", "b") + "\r\n"
                + "*0\r\n" + mb("HSET", "h", "f", "") + "  \n" + "set \"quoted key\" 'single \\' quote'\n" + mb("DEL", "x");
        List<Object> whole = decode(batch);
        assertThat(whole).hasSize(6).allMatch(o -> o instanceof Decoded);
        assertThat(((Decoded) whole.get(4)).keys()).containsExactly("quoted key");
        assertThat(((Decoded) whole.get(4)).frame()).isEqualTo(mb("set", "quoted key", "single ' quote"));
        for (int cut = 1; cut < batch.length(); cut++) {
            assertThat(decode(batch.substring(0, cut), batch.substring(cut))).as("cut at %d", cut).isEqualTo(whole);
        }
        String[] bytes = batch.split("");
        assertThat(decode(bytes)).as("byte by byte").isEqualTo(whole);
    }

    @Test
    void inlineCommands() {
        assertThat(one("PING\r\n").frame()).isEqualTo(mb("PING"));
        assertThat(one("get  k\n").frame()).isEqualTo(mb("get", "k"));
        assertThat(one("SET k \"a\\x41\\n\\\"b\"\r\n").frame()).isEqualTo(mb("SET", "k", "aA\n\"b"));
        assertThat(one("SET k ''\r\n").frame()).isEqualTo(mb("SET", "k", ""));
        assertThat(decode("\r\n", "\n", "   \r\n")).isEmpty();
        assertThat(decode("GET k")).as("no newline yet").isEmpty();
    }

    @Test
    void redisSplitArgsEdgeCases() {
        assertThat(words("a\tb  c")).containsExactly("a", "b", "c");
        assertThat(words("\"a b\" c")).containsExactly("a b", "c");
        assertThat(words("'it''s'")).isNull(); // closing quote must be followed by a space
        assertThat(words("\"abc")).isNull();
        assertThat(words("'abc")).isNull();
        assertThat(words("\"a\"b")).isNull();
        assertThat(words("'a\\nb'")).containsExactly("a\\nb"); // no escapes in single quotes but \'
        assertThat(words("x\"y\"")).containsExactly("xy"); // a quote opens mid-word, as in Redis
        assertThat(words("")).isEmpty();
    }

    private static List<String> words(String line) {
        List<byte[]> words = InlineParser.splitArgs(line.getBytes(StandardCharsets.ISO_8859_1));
        if (words == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        words.forEach(w -> out.add(new String(w, StandardCharsets.ISO_8859_1)));
        return out;
    }

    @Test
    void malformedRequestsFailWithRedisWording() {
        ClientLimits limits = ClientLimits.DEFAULTS;
        assertThat(failure(limits, "*2\r\n+GET\r\n")).isEqualTo("Protocol error: expected '$', got '+'");
        assertThat(failure(limits, "*x\r\n")).isEqualTo("Protocol error: invalid multibulk length");
        assertThat(failure(limits, "*3000000000\r\n")).isEqualTo("Protocol error: invalid multibulk length");
        assertThat(failure(limits, "*1\r\n$-5\r\n")).isEqualTo("Protocol error: invalid bulk length");
        assertThat(failure(limits, "*1\r\n$x\r\n")).isEqualTo("Protocol error: invalid bulk length");
        assertThat(failure(limits, "*1\r\n$3\r\nGETXX")).isEqualTo("Protocol error: bulk string not terminated by CRLF");
        assertThat(failure(limits, "SET k \"unbalanced\r\n")).isEqualTo("Protocol error: unbalanced quotes in request");
        assertThat(failure(limits, "*1\rX")).isEqualTo("Protocol error: CR not followed by LF");
        // commands before the broken one are still delivered
        List<Object> out = decode(mb("PING") + "*1\r\n!");
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).isInstanceOf(Decoded.class);
        assertThat(out.get(1)).isEqualTo(new DecodeFailure("Protocol error: expected '$', got '!'"));
    }

    @Test
    void beforeAuthenticationRedisOwnBoundsApply() {
        ClientLimits auth = new ClientLimits(1 << 20, 1000, 1024, true);
        assertThat(failure(auth, "*11\r\n")).isEqualTo("Protocol error: unauthenticated multibulk length");
        assertThat(failure(auth, "*2\r\n$4\r\nAUTH\r\n$16385\r\n")).isEqualTo("Protocol error: unauthenticated bulk length");
        assertThat(decode(auth, mb("AUTH", "x".repeat(16384)))).hasSize(1).allMatch(o -> o instanceof Decoded);
        ClientLimits open = new ClientLimits(1 << 20, 1000, 1024);
        assertThat(decode(open, mb("SET", "k", "x".repeat(16385)))).as("a listener without auth").hasSize(1)
                .allMatch(o -> o instanceof Decoded);
    }

    @Test
    void limitsAreEnforced() {
        ClientLimits small = new ClientLimits(10, 3, 32);
        assertThat(decode(small, mb("SET", "k", "0123456789"))).hasSize(1).allMatch(o -> o instanceof Decoded);
        assertThat(failure(small, mb("SET", "k", "01234567890"))).isEqualTo("Protocol error: invalid bulk length");
        assertThat(decode(small, "*1\r\n$2147483647\r\n")).as("refused before the payload arrives")
                .containsExactly(new DecodeFailure("Protocol error: invalid bulk length"));
        assertThat(failure(small, mb("MGET", "a", "b", "c"))).isEqualTo("Protocol error: invalid multibulk length");
        assertThat(failure(small, "MGET a b c\r\n")).isEqualTo("Protocol error: invalid multibulk length");
        assertThat(failure(small, "GET " + "k".repeat(40))).isEqualTo("Protocol error: too big inline request");
        assertThat(failure(small, "*" + "1".repeat(40))).isEqualTo("Protocol error: too big mbulk count string");
        assertThat(failure(small, "*1\r\n$" + "1".repeat(40))).isEqualTo("Protocol error: too big bulk count string");
    }

    @Test
    void unknownCommandsAreNamedLikeRedis7() {
        Decoded unknown = one(mb("FOO", "a", "b"));
        assertThat(unknown.kind()).isEqualTo("UNSUPPORTED");
        assertThat(unknown.rejection()).isEqualTo("unknown command 'FOO', with args beginning with: 'a' 'b' ");
        assertThat(one(mb("foo")).rejection()).isEqualTo("unknown command 'foo', with args beginning with: ");
        String longArg = "x".repeat(200);
        assertThat(one(mb("foo", longArg, "y")).rejection())
                .isEqualTo("unknown command 'foo', with args beginning with: '" + "x".repeat(128) + "' ");
        assertThat(one(mb("CONFIG", "NOPE")).rejection()).isEqualTo("unknown subcommand 'NOPE'. Try CONFIG HELP.");
        assertThat(one(mb("CONFIG")).rejection()).isEqualTo("wrong number of arguments for 'config' command");
        assertThat(one(mb("GET")).rejection()).isEqualTo("wrong number of arguments for 'get' command");
        assertThat(one(mb("CONFIG", "GET")).rejection()).isEqualTo("wrong number of arguments for 'config|get' command");
    }

    @Test
    void unsupportedCommandsNameThemselves() {
        assertThat(one(mb("WATCH", "k")).kind()).as("WATCH pins").isEqualTo("PINNED");
        assertThat(one(mb("BLPOP", "l", "0")).kind()).as("a blocking command pins").isEqualTo("PINNED");
        assertThat(one(mb("SUBSCRIBE", "c")).kind()).as("pub/sub pins the connection").isEqualTo("PINNED");
        assertThat(one(mb("PUBLISH", "c", "m")).kind()).as("the read cluster's count, then the others")
                .isEqualTo("CONDITIONAL_WRITE");
        assertThat(one(mb("CONFIG", "SET", "a", "b")).rejection()).startsWith("CONFIG SET is refused by metacluster: a server command");
        assertThat(one(mb("CLIENT", "PAUSE", "10")).kind()).as("pauses the proxy's own clients").isEqualTo("ADMIN");
        assertThat(one(mb("CLIENT", "KILL", "x")).kind()).as("about the proxy's own clients").isEqualTo("ADMIN");
        assertThat(one(mb("XREAD", "BLOCK", "0", "STREAMS", "s", "$")).kind()).as("XREAD BLOCK pins").isEqualTo("PINNED");
        assertThat(one(mb("XREADGROUP", "BLOCK", "0", "GROUP", "g", "c", "STREAMS", "s", ">")).kind())
                .as("XREADGROUP BLOCK of new entries pins").isEqualTo("PINNED");
        assertThat(one(mb("XREADGROUP", "GROUP", "BLOCK", "c", "STREAMS", "s", ">")).kind())
                .as("a group named BLOCK is not the option").isEqualTo("CONDITIONAL_WRITE");
        assertThat(one(mb("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "10", "STREAMS", "s", ">")).kind())
                .isEqualTo("PINNED");
        assertThat(one(mb("XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "s", "0")).kind())
                .as("a history read does not block: every cluster runs it").isEqualTo("WRITE");
        assertThat(one(mb("XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "s", ">", "0")).kind())
                .as("one history read among the streams: it does not block").isEqualTo("WRITE");
        assertThat(one(mb("XREAD", "STREAMS", "BLOCK", "0")).keys()).as("BLOCK after STREAMS is a key").containsExactly("BLOCK");
    }

    @Test
    void adminCommandsAreAnsweredLocally() {
        assertThat(one(mb("PING")).kind()).isEqualTo("ADMIN");
        assertThat(one(mb("client", "setname", "x")).kind()).isEqualTo("ADMIN");
        assertThat(one(mb("CLIENT", "SETINFO", "LIB-NAME", "jedis")).kind()).isEqualTo("ADMIN");
        assertThat(one(mb("HELLO", "3")).kind()).isEqualTo("ADMIN");
    }

    /** HELLO and SELECT choose the lane of what follows: forwarded commands, split parts, transactions, propagations. */
    @Test
    void helloAndSelectChooseTheLaneOfLaterCommands() throws Exception {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        Codecs.Context context = new Codecs.Context();
        assertThat(laneOf(codec, context, mb("GET", "k"))).isEqualTo(0);
        assertThat(laneOf(codec, context, mb("HELLO", "3"))).isEqualTo(0);
        assertThat(laneOf(codec, context, mb("GET", "k"))).isEqualTo(Session.lane(0, true));
        laneOf(codec, context, mb("SELECT", "9"));
        assertThat(laneOf(codec, context, mb("SET", "k", "v"))).isEqualTo(Session.lane(9, true));
        assertThat(laneOf(codec, context, mb("PUBLISH", "c", "m"))).isEqualTo(Session.lane(9, true));
        laneOf(codec, context, mb("MULTI"));
        laneOf(codec, context, mb("INCR", "n"));
        assertThat(laneOf(codec, context, mb("EXEC"))).as("the transaction").isEqualTo(Session.lane(9, true));
        laneOf(codec, context, mb("SELECT", "16"));
        laneOf(codec, context, mb("HELLO", "2"));
        assertThat(laneOf(codec, context, mb("MGET", "a", "b"))).isEqualTo(Session.lane(9, false));
        laneOf(codec, context, mb("RESET"));
        assertThat(laneOf(codec, context, mb("GET", "k"))).isEqualTo(0);
    }

    /** A replay log entry stored after its lane's requests is read back, by a fresh codec, on that lane. */
    @Test
    void laneRequestsPutAFreshCodecOnTheirLane() throws Exception {
        RedisProtocol protocol = new RedisProtocol();
        assertThat(protocol.laneRequests(0)).isEmpty();
        for (int lane = 0; lane < protocol.backendLanes(); lane++) {
            RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
            Codecs.Context context = new Codecs.Context();
            ByteBuf in = Unpooled.wrappedBuffer(protocol.laneRequests(lane), mb("SET", "k", "v").getBytes(StandardCharsets.US_ASCII));
            Command command;
            while ((command = codec.decode(in)).kind() == CommandKind.ADMIN) {
                ByteBuf answer = codec.answer(command, context);
                assertThat(text(answer)).doesNotStartWith("-");
                answer.release();
                command.release();
            }
            assertThat(command.name()).isEqualTo("SET");
            assertThat(command.lane()).isEqualTo(lane);
            command.release();
            in.release();
        }
    }

    /** Decodes {@code request}, answers it when the proxy does, and returns its lane. */
    private static int laneOf(RedisClientCodec codec, Codecs.Context context, String request) throws Exception {
        ByteBuf in = buf(request);
        Command command = codec.decode(in);
        in.release();
        int lane = command.lane();
        if (command.kind() == CommandKind.ADMIN) {
            codec.answer(command, context).release();
        }
        if (command.kind() == CommandKind.CONDITIONAL_WRITE) {
            ByteBuf served = buf(":1\r\n"); // PUBLISH's receiver count on the serving cluster
            Command propagated = codec.conditionalWrites().propagation(command, served, ByteBufAllocator.DEFAULT);
            served.release();
            assertThat(propagated.lane()).isEqualTo(lane);
            propagated.release();
        }
        command.release();
        return lane;
    }

    @Test
    void errorReplies() {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        assertThat(render(codec, "Protocol error: invalid bulk length")).isEqualTo("-ERR Protocol error: invalid bulk length\r\n");
        assertThat(render(codec, "NOPROTO unsupported protocol version")).isEqualTo("-NOPROTO unsupported protocol version\r\n");
        assertThat(render(codec, "WRONGTYPE Operation against a key")).isEqualTo("-WRONGTYPE Operation against a key\r\n");
        assertThat(render(codec, "MULTI is not supported")).isEqualTo("-ERR MULTI is not supported\r\n");
        assertThat(render(codec, "AUTH <password> called")).isEqualTo("-ERR AUTH <password> called\r\n");
        assertThat(render(codec, "two\r\nlines")).isEqualTo("-ERR two  lines\r\n");
    }

    private static String render(RedisClientCodec codec, String message) {
        ByteBuf reply = codec.error(ByteBufAllocator.DEFAULT, null, message);
        try {
            return text(reply);
        } finally {
            reply.release();
        }
    }

    @Test
    void everyCommandKindIsReachable() {
        for (CommandKind kind : List.of(CommandKind.READ, CommandKind.WRITE, CommandKind.ADMIN, CommandKind.UNSUPPORTED)) {
            assertThat(CommandTable.standard().commands().stream().anyMatch(c -> c.kind() == kind)
                    || CommandTable.standard().commands().stream().filter(CommandInfo::isContainer)
                    .flatMap(c -> c.subcommands().commands().stream()).anyMatch(c -> c.kind() == kind)).as(kind.name()).isTrue();
        }
    }

    @Test
    void aCodecThatThrowsResetsAndCanBeDroppedWithoutLeaks() {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        ByteBuf in = buf("*2\r\n$3\r\nGET\r\n:1\r\n");
        try {
            codec.decode(in);
        } catch (ProtocolException expected) {
            assertThat(expected).hasMessage("Protocol error: expected '$', got ':'");
        } finally {
            in.release();
        }
    }
}
