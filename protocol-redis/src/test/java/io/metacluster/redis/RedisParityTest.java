package io.metacluster.redis;

import io.metacluster.redis.Codecs.Context;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The codec next to a real redis-server 7.0: same keys as COMMAND GETKEYS, same error text for
 * malformed, unknown and wrongly-called commands, same bytes for the commands the proxy answers.
 */
class RedisParityTest {
    static RedisServer redis;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    static final String[][] KEYED = {
            {"GET", "k"}, {"SET", "k", "v", "EX", "10"}, {"MSET", "a", "1", "b", "2"}, {"MGET", "a", "b", "c"},
            {"EVAL", "return 1", "2", "k1", "k2", "x"}, {"EVAL", "return 1", "0"}, {"FCALL", "f", "1", "k"},
            {"ZUNIONSTORE", "d", "2", "z1", "z2", "WEIGHTS", "1", "2"}, {"ZINTERCARD", "2", "a", "b"},
            {"XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", ">"},
            {"SORT", "l", "BY", "w_*", "LIMIT", "0", "1", "GET", "#", "STORE", "d"}, {"SORT", "l"},
            {"MIGRATE", "h", "1", "", "0", "10", "COPY", "KEYS", "a", "b"}, {"MIGRATE", "h", "1", "k", "0", "10"},
            {"GEORADIUS", "g", "0", "0", "1", "km", "STOREDIST", "d"}, {"LMPOP", "2", "a", "b", "LEFT"},
            {"BLMPOP", "0", "2", "a", "b", "LEFT"}, {"OBJECT", "ENCODING", "k"}, {"MEMORY", "USAGE", "k"},
            {"XINFO", "STREAM", "s"}, {"BITOP", "AND", "d", "a", "b"}, {"RENAME", "a", "b"}, {"SMOVE", "a", "b", "m"},
            {"ZRANGESTORE", "d", "s", "0", "1"}, {"PFCOUNT", "a", "b"}, {"SINTERCARD", "2", "a", "b", "LIMIT", "1"},
            {"GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"}, {"LCS", "a", "b"},
            {"XGROUP", "CREATE", "s", "g", "$"}, {"BZMPOP", "0", "1", "z", "MIN"}, {"WATCH", "a", "b"},
            {"TOUCH", "a", "b"}, {"COPY", "a", "b", "REPLACE"}, {"ZDIFF", "2", "a", "b"}, {"HSET", "h", "f", "v", "g", "w"},
    };

    @Test
    void keysMatchCommandGetkeys() throws Exception {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        for (String[] args : KEYED) {
            Object[] request = new Object[args.length + 2];
            request[0] = "COMMAND";
            request[1] = "GETKEYS";
            System.arraycopy(args, 0, request, 2, args.length);
            Object expected = redis.call(request);
            ByteBuf in = buf(mb(args));
            Command command = codec.decode(in);
            try {
                List<String> keys = new ArrayList<>();
                for (int i = 0; i < command.keyCount(); i++) {
                    keys.add(text(command.key(i)));
                }
                if (command.kind() == CommandKind.UNSUPPORTED) {
                    continue; // refused before keys matter (MIGRATE, blocking, WATCH)
                }
                assertThat(keys).as(String.join(" ", args)).isEqualTo(expected);
            } finally {
                command.release();
                in.release();
            }
        }
    }

    @Test
    void refusedRequestsReadLikeRedis() {
        String[] inputs = {
                mb("NOSUCH", "a", "b"), mb("nosuch"), mb("x".repeat(300), "y".repeat(100), "z".repeat(100)),
                mb("CONFIG", "NOPE"), mb("CONFIG"), mb("GET"), mb("CONFIG", "GET"), mb("SET", "k"), mb("OBJECT", "nope", "k"),
                mb("PING", "a", "b"), mb("ECHO"), mb("SELECT", "x"), mb("AUTH", "pw"), mb("AUTH", "u", "p"), mb("AUTH", "a", "b", "c"),
                mb("HELLO", "4"), mb("HELLO", "x"), mb("HELLO", "2", "FOO"), mb("HELLO", "2", "AUTH", "u", "p"),
                mb("CLIENT", "SETNAME", "a b"), mb("CLIENT", "NOPE"),
        };
        try (RespClient client = redis.client()) {
            for (String input : inputs) {
                client.writeRaw(input.getBytes(StandardCharsets.ISO_8859_1));
                assertThat(proxy(input)).as(input).isEqualTo(client.readRaw());
            }
        }
    }

    @Test
    void localAnswersAreByteForByteRedis() {
        String[] inputs = {
                mb("PING"), mb("PING", "hi"), mb("ECHO", "x\r\ny"), mb("SELECT", "0"), mb("AUTH", "default", "any"),
                mb("CLIENT", "GETNAME"), mb("CLIENT", "SETNAME", "app1"), mb("CLIENT", "GETNAME"),
                mb("HELLO"), mb("HELLO", "2"), mb("HELLO", "2", "SETNAME", "app2", "AUTH", "default", "x"), mb("CLIENT", "GETNAME"),
                mb("CLIENT", "SETNAME", ""), mb("CLIENT", "GETNAME"), mb("RESET"), mb("QUIT"),
        };
        answersLikeRedis(inputs);
    }

    /**
     * What changes in the proxy's own replies between RESP2 and RESP3, against a real server on
     * the same bytes: HELLO's map ({@code %7}, not {@code *14}), a nil ({@code _}, not
     * {@code $-1}), CLIENT INFO as a verbatim string ({@code =len txt:...}); the rest (simple
     * strings, errors, integers, bulk strings, the empty EXEC's {@code *0}) is the same in both,
     * and HELLO 2 or RESET goes back to RESP2. SELECT's range errors are Redis's in either.
     */
    @Test
    void localAnswersInResp3AreByteForByteRedis() {
        String[] inputs = {
                mb("HELLO", "3"), mb("PING"), mb("PING", "hi"), mb("ECHO", "e"), mb("CLIENT", "GETNAME"),
                mb("CLIENT", "SETNAME", "app1"), mb("CLIENT", "GETNAME"), mb("CLIENT", "SETNAME", ""), mb("CLIENT", "GETNAME"),
                mb("SELECT", "9"), mb("SELECT", "16"), mb("SELECT", "-1"), mb("SELECT", "x"), mb("SELECT", "99999999999999999999"),
                mb("MULTI"), mb("EXEC"), mb("MULTI"), mb("DISCARD"), mb("EXEC"), mb("UNWATCH"), mb("AUTH", "pw"),
                mb("HELLO"), mb("HELLO", "4"), mb("HELLO", "3", "AUTH", "default"), mb("HELLO", "3", "SETNAME", "a b"),
                mb("HELLO", "2"), mb("CLIENT", "GETNAME"), mb("HELLO", "3", "SETNAME", "app2", "AUTH", "default", "x"),
                mb("CLIENT", "GETNAME"), mb("HELLO", "3", "AUTH", "default", "x", "SETNAME", "app3"), mb("CLIENT", "GETNAME"),
                mb("RESET"), mb("CLIENT", "GETNAME"), mb("HELLO", "3"), mb("QUIT"),
        };
        answersLikeRedis(inputs);
    }

    /** One codec and one server connection are sent {@code inputs} in turn: same bytes back, but for the client id. */
    private static void answersLikeRedis(String[] inputs) {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        try (RespClient client = redis.client()) {
            long id = (Long) client.call("CLIENT", "ID");
            for (String input : inputs) {
                client.writeRaw(input.getBytes(StandardCharsets.ISO_8859_1));
                String expected = client.readRaw().replace("$2\r\nid\r\n:" + id + "\r\n", "$2\r\nid\r\n:42\r\n");
                assertThat(answer(codec, input, new Context())).as(input).isEqualTo(expected);
            }
        }
    }

    @Test
    void clientInfoIsVerbatimInResp3() {
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        Context context = new Context();
        assertThat(answer(codec, mb("CLIENT", "INFO"), context)).startsWith("$").contains(" db=0 ").contains(" resp=2\n");
        answer(codec, mb("HELLO", "3"), context);
        answer(codec, mb("SELECT", "9"), context);
        String info = answer(codec, mb("CLIENT", "INFO"), context);
        int cr = info.indexOf('\r');
        assertThat(info).startsWith("=").contains("\r\ntxt:id=").contains(" db=9 ").endsWith(" resp=3\n\r\n");
        assertThat(Integer.parseInt(info.substring(1, cr))).isEqualTo(info.length() - cr - 4);
    }

    @Test
    void protocolErrorsReadLikeRedis() {
        String[] inputs = {"*2\r\n+GET\r\n", "*x\r\n", "*1\r\n$-5\r\n", "*1\r\n$x\r\n", "SET k \"open\r\n", "SET k 'a'b\r\n",
                "*3000000000\r\n"};
        for (String input : inputs) {
            try (RespClient client = redis.client()) {
                client.writeRaw(input.getBytes(StandardCharsets.ISO_8859_1));
                assertThat(proxy(input)).as(input).isEqualTo(client.readRaw());
                assertThat(client.isClosedByPeer()).isTrue();
            }
        }
    }

    /** What the proxy answers for one request, as the engine would produce it. */
    private static String proxy(String input) {
        return answer(new RedisClientCodec(ClientLimits.DEFAULTS), input, new Context());
    }

    private static String answer(RedisClientCodec codec, String input, Context context) {
        ByteBuf in = buf(input);
        ByteBuf reply = null;
        Command command = null;
        try {
            command = codec.decode(in);
            assertThat(command).as(input).isNotNull();
            reply = switch (command.kind()) {
                case ADMIN -> codec.answer(command, context);
                case UNSUPPORTED -> codec.error(ByteBufAllocator.DEFAULT, command, command.rejection());
                default -> throw new AssertionError(input + " would be forwarded as " + command.kind());
            };
            if (input.equals(mb("QUIT"))) {
                assertThat(context.closeAfterReply).isTrue();
            }
            return text(reply);
        } catch (ProtocolException e) {
            reply = codec.error(ByteBufAllocator.DEFAULT, null, e.getMessage());
            return text(reply);
        } finally {
            in.release();
            if (command != null) {
                command.release();
            }
            if (reply != null) {
                reply.release();
            }
        }
    }
}
