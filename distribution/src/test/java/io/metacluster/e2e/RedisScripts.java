package io.metacluster.e2e;

import io.metacluster.e2e.DifferentialIT.Difference;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded RESP2 scripts, and the same under {@code HELLO 3} ({@link #generateResp3}), for {@link DifferentialIT}: pipelined bursts of deterministic commands on a
 * few keys of the script's own (strings, counters, lists, hashes, integer sets, sorted sets,
 * multi-key commands, expiry, transactions), multibulk or inline, with malformed requests mixed
 * in (unknown commands, wrong arity, bad numbers, syntax errors) and sometimes a framing error
 * that ends the connection.
 *
 * <p>Replies must not depend on the server or the clock, so: hashes stay small listpacks (their
 * order is insertion order), set members are integers (intsets reply sorted), and TTL is only
 * asked in scripts that never set an expiry. Not thread-safe; one instance per script.
 */
final class RedisScripts {
    private static final byte[] QUIT = multibulk(List.of("QUIT"));
    private static final byte[] FENCE = multibulk(List.of("ECHO", "~fence~"));
    private static final byte[] FENCE_REPLY = "$7\r\n~fence~\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Random random;
    private final String prefix;
    private final Script.Builder out = new Script.Builder();
    /** Whether this script may set an expiry; if not, it may ask TTL (whose reply would depend on the clock). */
    private final boolean expiring;
    private boolean inTransaction;

    private RedisScripts(Random random, String prefix) {
        this.random = random;
        this.prefix = prefix;
        this.expiring = random.nextBoolean();
    }

    /** A script on keys starting with {@code prefix}, ending in one of {@code endings}. */
    static Script generate(Random random, String prefix, List<Script.Ending> endings) {
        return new RedisScripts(random, prefix).script(endings.get(random.nextInt(endings.size())));
    }

    /**
     * The same scripts after {@code HELLO 3}: every reply in RESP3 (maps, sets, doubles, nulls).
     * HELLO's own reply names the connection's id, which is the server's or the proxy's own
     * counter, so {@link #withoutHelloId} sets it to 0 on both sides.
     */
    static Script generateResp3(Random random, String prefix, List<Script.Ending> endings) {
        RedisScripts scripts = new RedisScripts(random, prefix);
        scripts.send(List.of("HELLO", "3"));
        return scripts.script(endings.get(random.nextInt(endings.size())));
    }

    /** The replies with the id in the first HELLO map ({@code $2\r\nid\r\n:<n>}) set to 0. */
    static byte[] withoutHelloId(byte[] reply) {
        String text = new String(reply, StandardCharsets.ISO_8859_1);
        return text.replaceFirst("\\$2\r\nid\r\n:[0-9]+\r\n", "\\$2\r\nid\r\n:0\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private Script script(Script.Ending ending) {
        int commands = 1 + random.nextInt(random.nextInt(10) == 0 ? 60 : 12);
        for (int i = 0; i < commands; i++) {
            int roll = random.nextInt(100);
            if (roll < 6) {
                transaction();
            } else if (roll < 16) {
                send(malformed());
            } else {
                send(valid());
            }
        }
        if (random.nextInt(12) == 0) {
            return out.text(framingError()).endClosedByServer(ending);
        }
        return out.end(ending, QUIT, FENCE, FENCE_REPLY);
    }

    private void transaction() {
        send(List.of("MULTI"));
        inTransaction = true;
        for (int n = random.nextInt(5); n > 0; n--) {
            send(random.nextInt(10) == 0 ? malformed() : valid()); // a refused one makes EXEC answer EXECABORT
        }
        send(List.of(random.nextInt(5) == 0 ? "DISCARD" : "EXEC"));
        inTransaction = false;
    }

    /** Writes one command, mostly as multibulk, sometimes inline (quoted where needed). */
    private void send(List<String> args) {
        out.raw(random.nextInt(5) == 0 ? inline(args) : multibulk(args));
    }

    private List<String> valid() {
        String k = key();
        return switch (random.nextInt(56)) {
            case 0, 1 -> List.of("SET", k, value());
            case 2 -> List.of("SET", k, value(), pick("NX", "XX", "GET"));
            case 3 -> expiring ? List.of("SET", k, value(), "EX", "1000") : List.of("SETNX", k, value());
            case 4, 5 -> List.of("GET", k);
            case 6 -> List.of("APPEND", k, value());
            case 7 -> List.of("STRLEN", k);
            case 8 -> List.of(pick("INCR", "DECR"), k);
            case 9 -> List.of(pick("INCRBY", "DECRBY"), k, Integer.toString(random.nextInt(2001) - 1000));
            case 10 -> List.of("INCRBYFLOAT", k, pick("1.5", "-0.25", "3e2", "0.1", "10"));
            case 11 -> List.of("SETRANGE", k, Integer.toString(random.nextInt(12)), word());
            case 12 -> List.of("GETRANGE", k, Integer.toString(random.nextInt(5) - 2), Integer.toString(random.nextInt(10) - 3));
            case 13 -> List.of("MSET", key(), value(), key(), value());
            case 14 -> List.of("MGET", key(), key(), key());
            case 15 -> List.of("MSETNX", key(), value(), key(), value());
            case 16 -> List.of(pick("DEL", "UNLINK", "EXISTS"), key(), key());
            case 17 -> List.of(pick("TYPE", "GETDEL", "EXISTS"), k);
            case 18 -> expiring ? List.of("EXPIRE", k, pick("1000", "0", "-5")) : List.of("TTL", k);
            case 19 -> List.of("PERSIST", k);
            case 20 -> List.of(pick("RENAME", "RENAMENX"), k, key());
            case 21, 22 -> List.of(pick("LPUSH", "RPUSH"), k, word(), word());
            case 23 -> List.of(pick("LPOP", "RPOP"), k);
            case 24 -> List.of(pick("LPOP", "RPOP"), k, Integer.toString(random.nextInt(4)));
            case 25 -> List.of("LRANGE", k, Integer.toString(random.nextInt(3) - 1), Integer.toString(random.nextInt(6) - 2));
            case 26 -> List.of("LLEN", k);
            case 27 -> List.of("LINDEX", k, Integer.toString(random.nextInt(5) - 2));
            case 28 -> List.of("LSET", k, Integer.toString(random.nextInt(4) - 1), word());
            case 29 -> List.of("LREM", k, Integer.toString(random.nextInt(5) - 2), word());
            case 30 -> List.of("LTRIM", k, Integer.toString(random.nextInt(3)), Integer.toString(random.nextInt(6) - 1));
            case 31 -> List.of("LINSERT", k, pick("BEFORE", "AFTER"), word(), word());
            case 32 -> List.of("LPOS", k, word());
            case 33, 34 -> List.of("HSET", k, field(), word(), field(), shortValue());
            case 35 -> List.of("HGET", k, field());
            case 36 -> List.of("HDEL", k, field(), field());
            case 37 -> List.of(pick("HLEN", "HGETALL", "HKEYS", "HVALS"), k);
            case 38 -> List.of("HEXISTS", k, field());
            case 39 -> List.of("HINCRBY", k, field(), Integer.toString(random.nextInt(21) - 10));
            case 40 -> List.of("HMGET", k, field(), field(), field());
            case 41 -> List.of("HSETNX", k, field(), shortValue());
            case 42, 43 -> List.of("SADD", k, member(), member(), member());
            case 44 -> List.of("SREM", k, member(), member());
            case 45 -> List.of(pick("SCARD", "SMEMBERS"), k);
            case 46 -> List.of(pick("SISMEMBER", "SMISMEMBER"), k, member());
            case 47 -> List.of(pick("SINTER", "SUNION", "SDIFF"), k, key());
            case 48, 49 -> List.of("ZADD", k, Integer.toString(random.nextInt(20) - 5), member());
            case 50 -> List.of("ZINCRBY", k, pick("1", "2.5", "-1"), member());
            case 51 -> List.of("ZSCORE", k, member());
            case 52 -> random.nextBoolean() ? List.of("ZRANGE", k, "0", "-1") : List.of("ZRANGE", k, "0", "-1", "WITHSCORES");
            case 53 -> random.nextBoolean() ? List.of("ZCARD", k) : List.of(pick("ZRANK", "ZREM"), k, member());
            case 54 -> random.nextBoolean() ? List.of("PING") : List.of(pick("PING", "ECHO"), word());
            default -> inTransaction ? List.of("PING") // Difference.ANSWERED_BY_THE_PROXY: its own commands are refused in MULTI
                    : random.nextBoolean() ? List.of("CLIENT", "SETNAME", "n" + random.nextInt(3)) : List.of("CLIENT", "GETNAME");
        };
    }

    /** A request the server refuses with an error and then goes on. */
    private List<String> malformed() {
        String k = key();
        return switch (random.nextInt(14)) {
            case 0 -> List.of("NOSUCHCOMMAND", k, value());
            case 1 -> List.of(word() + "x");
            case 2 -> List.of(pick("GET", "STRLEN", "LLEN", "INCR"));
            case 3 -> List.of(pick("SET", "APPEND", "HGET", "LPUSH"), k);
            case 4 -> List.of("HSET", k, field());
            case 5 -> List.of(pick("INCRBY", "EXPIRE", "LINDEX"), k, pick("abc", "1.5", "", "99999999999999999999"));
            case 6 -> List.of("LRANGE", k, "0", "x");
            case 7 -> List.of("SETRANGE", k, "-1", "v");
            case 8 -> List.of("SET", k, "v", "NX", "XX");
            case 9 -> List.of("SET", k, "v", "EX", pick("0", "-1", "abc"));
            case 10 -> List.of("ZADD", k, "notanumber", member());
            case 11 -> List.of(pick("EXEC", "DISCARD"));
            case 12 -> List.of("CLIENT", "NOSUCHSUB");
            default -> List.of("LINSERT", k, "MIDDLE", "a", "b");
        };
    }

    /** A request Redis answers with a protocol error and then closes the connection. */
    private String framingError() {
        return pick("*2\r\n$3\r\nGET\r\n:1\r\n", "*x\r\n", "*1\r\n$x\r\n", "*1\r\n$-3\r\n",
                "SET \"abc\r\n", "GET 'a'b\r\n");
    }

    private String key() {
        return prefix + (char) ('a' + random.nextInt(4));
    }

    private String field() {
        return "f" + random.nextInt(4);
    }

    private String member() {
        return Integer.toString(random.nextInt(12));
    }

    private String word() {
        char[] chars = new char[1 + random.nextInt(6)];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) ('a' + random.nextInt(3));
        }
        return new String(chars);
    }

    /** A hash value short enough to keep the hash a listpack. */
    private String shortValue() {
        return random.nextBoolean() ? word() : Integer.toString(random.nextInt(100));
    }

    private String value() {
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> word();
            case 4, 5 -> Integer.toString(random.nextInt(2001) - 1000);
            case 6 -> "";
            case 7 -> pick("1.5", "-0.25", "3e2", "9223372036854775807", " 7");
            case 8 -> bytes(1 + random.nextInt(20));
            default -> "long-".repeat(10 + random.nextInt(60));
        };
    }

    /** Arbitrary bytes, as Latin-1 chars. */
    private String bytes(int n) {
        char[] chars = new char[n];
        for (int i = 0; i < n; i++) {
            chars[i] = (char) random.nextInt(256);
        }
        return new String(chars);
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    static byte[] multibulk(List<String> args) {
        StringBuilder s = new StringBuilder("*").append(args.size()).append("\r\n");
        for (String arg : args) {
            s.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
        }
        return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** An inline command line: plain words as they are, others in double quotes with escapes. */
    private static byte[] inline(List<String> args) {
        List<String> words = new ArrayList<>();
        for (String arg : args) {
            words.add(plain(arg) ? arg : quoted(arg));
        }
        return (String.join(" ", words) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static boolean plain(String arg) {
        return !arg.isEmpty() && arg.chars().allMatch(c -> c > ' ' && c < 127 && c != '"' && c != '\'' && c != '\\');
    }

    private static String quoted(String arg) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : arg.toCharArray()) {
            if (c == '"' || c == '\\') {
                s.append('\\').append(c);
            } else if (c >= ' ' && c < 127) {
                s.append(c);
            } else {
                s.append(String.format("\\x%02x", (int) c));
            }
        }
        return s.append('"').toString();
    }
}
