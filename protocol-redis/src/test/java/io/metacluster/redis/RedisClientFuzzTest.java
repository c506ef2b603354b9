package io.metacluster.redis;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.testing.FuzzKit;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.metacluster.testing.FuzzKit.ascii;
import static io.metacluster.testing.FuzzKit.concat;
import static io.metacluster.testing.FuzzKit.number;
import static io.metacluster.testing.FuzzKit.printable;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of Redis request decoding ({@link RedisClientCodec}): request streams built from
 * real commands (the command table's names, key-spec keywords, nasty numbers), inline commands,
 * RESP edge cases, deep nesting, huge and negative lengths and random bytes, then mutated, and
 * fed whole and cut into random chunks. Properties, for every case:
 * <ul>
 *   <li>only {@link io.metacluster.spi.ProtocolException} escapes, after which nothing more is decoded;</li>
 *   <li>every command has a non-empty frame and keys inside it; ADMIN commands can be answered and
 *       every command's error rendered;</li>
 *   <li>decode is called a bounded number of times, never returns a command without consuming,
 *       and the case finishes (a hang is reported with the case's seed);</li>
 *   <li>every buffer is released when the commands are (and the leak detector, at PARANOID, reports nothing);</li>
 *   <li>no allocation out of proportion with the input: a huge announced length is not allocated;</li>
 *   <li>the same bytes give the same commands however they are cut into reads.</li>
 * </ul>
 * Cases: {@code -Dfuzz.cases} (see {@link FuzzKit}).
 */
class RedisClientFuzzTest {
    static final long CI_CASES = 30_000;

    private static final List<String> NAMES = commandNames();
    private static final String[] KEYWORDS = {"STREAMS", "BLOCK", "COUNT", "GROUP", "STORE", "LIMIT", "GET", "BY", "KEYS",
            "AUTH", "AUTH2", "SETNAME", "LEFT", "RIGHT", "WEIGHTS", "AGGREGATE", "NX", "EX", "PX", "KEEPTTL", "STOREDIST",
            "FROMMEMBER", "BYRADIUS", "WITHSCORES", "NOACK", "REPLACE", "COPY", "LIB-NAME", "lib-ver", "ENCODING", "HELP"};
    private static final String[][] TEMPLATES = {
            {"GET", "k"}, {"SET", "k", "v"}, {"MGET", "a", "b", "c"}, {"MSET", "a", "1", "b", "2"}, {"DEL", "a", "b"},
            {"EVAL", "return 1", "2", "k1", "k2", "a"}, {"EVALSHA", "abc", "1", "k"}, {"FCALL", "f", "1", "k"},
            {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}, {"ZINTER", "2", "a", "b"}, {"LMPOP", "2", "a", "b", "LEFT"},
            {"SINTERCARD", "2", "a", "b", "LIMIT", "1"}, {"XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"},
            {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"},
            {"SORT", "k", "LIMIT", "0", "1", "GET", "#", "BY", "w_*", "STORE", "d"}, {"SORT_RO", "k", "ALPHA"},
            {"MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "a", "b"}, {"MIGRATE", "h", "6379", "k", "0", "5000", "AUTH", "p"},
            {"GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d"}, {"CLIENT", "SETNAME", "n"}, {"CLIENT", "GETNAME"},
            {"CLIENT", "ID"}, {"CLIENT", "INFO"}, {"CLIENT", "SETINFO", "LIB-NAME", "x"}, {"CLIENT", "KILL", "ID", "1"},
            {"HELLO"}, {"HELLO", "2"}, {"HELLO", "3"}, {"HELLO", "2", "AUTH", "default", "p", "SETNAME", "n"},
            {"HELLO", "x"}, {"PING"}, {"PING", "x"}, {"ECHO", "x"}, {"SELECT", "0"}, {"SELECT", "1"}, {"AUTH", "p"},
            {"AUTH", "default", "p"}, {"QUIT"}, {"RESET"}, {"OBJECT", "ENCODING", "k"}, {"OBJECT", "NOPE"},
            {"CONFIG", "GET", "x"}, {"COMMAND", "GETKEYS", "GET", "k"}, {"MULTI"}, {"SUBSCRIBE", "c"}, {"BLPOP", "a", "0"},
            {"BITFIELD", "k", "GET", "u8", "0"}, {"GETEX", "k", "PERSIST"}, {"SET", "k", "v", "EX", "10", "GET"},
            {"MEMORY", "USAGE", "k"}, {"XINFO", "STREAM", "s"}, {"SCRIPT", "LOAD", "x"}, {"NOPE", "a"}};

    @Test
    void requestsNeverBreakTheDecoder() throws Exception {
        long ran = FuzzKit.run("redis client requests", CI_CASES, RedisClientFuzzTest::oneCase);
        assertThat(ran).isPositive();
    }

    static void oneCase(SplittableRandom r) {
        ClientLimits limits = r.nextInt(4) == 0
                ? new ClientLimits(1 + r.nextInt(4096), 1 + r.nextInt(64), 8 + r.nextInt(1024))
                : ClientLimits.DEFAULTS;
        byte[] input = input(r, limits);
        FuzzKit.Tracking alloc = new FuzzKit.Tracking(r, Math.max(64 * 1024, 16 * input.length));
        long heapBefore = FuzzKit.allocatedBytes();
        try {
            List<String> whole = FuzzKit.decodeClient(codec(limits), alloc, input, new int[0], null);
            alloc.assertAllReleased("whole input");
            int[] cuts = FuzzKit.cuts(r, input.length);
            List<String> chunked = FuzzKit.decodeClient(codec(limits), alloc, input, cuts, null);
            alloc.assertAllReleased("input in chunks");
            if (!whole.equals(chunked)) {
                throw new AssertionError("cut at " + java.util.Arrays.toString(cuts) + " the input decodes differently:\nwhole:   "
                        + whole + "\nchunked: " + chunked);
            }
        } catch (AssertionError e) {
            alloc.releaseAll();
            throw new AssertionError(e.getMessage() + "\ninput (" + limits + "): " + printable(input, 2000), e);
        }
        long heap = FuzzKit.allocatedBytes() - heapBefore;
        if (heap > 256L * 1024 * 1024 + 256L * input.length) {
            throw new AssertionError("decoding " + input.length + " bytes allocated " + heap + " heap bytes: "
                    + printable(input, 500));
        }
    }

    private static ClientCodec codec(ClientLimits limits) {
        return new RedisProtocol().newClientCodec(limits);
    }

    /** A stream of a few requests of every sort, then maybe mutated. */
    static byte[] input(SplittableRandom r, ClientLimits limits) {
        List<byte[]> parts = new ArrayList<>();
        int requests = 1 + r.nextInt(r.nextInt(8) == 0 ? 40 : 5);
        for (int i = 0; i < requests; i++) {
            parts.add(request(r, limits));
        }
        byte[] stream = concat(parts);
        return r.nextInt(10) < 6 ? FuzzKit.mutate(r, stream) : stream;
    }

    static byte[] request(SplittableRandom r, ClientLimits limits) {
        int pick = r.nextInt(100);
        if (pick < 55) {
            return multibulk(r, words(r));
        }
        if (pick < 70) {
            return inline(r, words(r));
        }
        if (pick < 85) {
            return ascii(EDGES[r.nextInt(EDGES.length)]);
        }
        if (pick < 88) {
            return deepNesting(r);
        }
        if (pick < 93) {
            return hugeLength(r);
        }
        if (pick < 94) {
            return longLine(r, limits);
        }
        return FuzzKit.randomBytes(r, 64);
    }

    static List<byte[]> words(SplittableRandom r) {
        List<byte[]> words = new ArrayList<>();
        if (r.nextInt(3) == 0) {
            for (String part : NAMES.get(r.nextInt(NAMES.size())).split("\\|")) {
                words.add(ascii(part)); // a command, or a container and its subcommand
            }
        } else {
            for (String w : TEMPLATES[r.nextInt(TEMPLATES.length)]) {
                words.add(ascii(r.nextInt(12) == 0 ? w.toLowerCase(java.util.Locale.ROOT) : w));
            }
        }
        int extra = r.nextInt(3) == 0 ? r.nextInt(r.nextInt(20) == 0 ? 200 : 8) : 0;
        for (int i = 0; i < extra; i++) {
            words.add(r.nextInt(words.size() + 1), arg(r));
        }
        if (r.nextInt(4) == 0 && words.size() > 1) {
            words.set(1 + r.nextInt(words.size() - 1), arg(r)); // a key or a numkeys replaced
        }
        return words;
    }

    private static byte[] arg(SplittableRandom r) {
        return switch (r.nextInt(5)) {
            case 0 -> ascii(KEYWORDS[r.nextInt(KEYWORDS.length)]);
            case 1, 2 -> ascii(number(r));
            case 3 -> ascii("key:" + r.nextInt(100));
            default -> FuzzKit.randomBytes(r, 20);
        };
    }

    static byte[] multibulk(SplittableRandom r, List<byte[]> words) {
        List<byte[]> out = new ArrayList<>();
        out.add(ascii("*" + words.size() + "\r\n"));
        for (byte[] w : words) {
            out.add(ascii("$" + w.length + "\r\n"));
            out.add(w);
            out.add(ascii("\r\n"));
        }
        return concat(out);
    }

    /** Words as an inline command, quoted as redis-cli would (and sometimes badly). */
    static byte[] inline(SplittableRandom r, List<byte[]> words) {
        StringBuilder line = new StringBuilder();
        for (byte[] w : words) {
            String text = new String(w, StandardCharsets.ISO_8859_1);
            line.append(r.nextInt(6) == 0 ? "  " : " ");
            switch (r.nextInt(6)) {
                case 0 -> line.append('"').append(escape(text)).append('"');
                case 1 -> line.append('\'').append(text.replace("'", "\\'").replace("\n", " ").replace("\r", " ")).append('\'');
                case 2 -> line.append(r.nextBoolean() ? "\"" + text : "'" + text + "'x"); // unbalanced, or a quote not followed by a space
                default -> line.append(text.replace("\n", "").replace("\r", "").replace(" ", "").replace("\"", "").replace("'", ""));
            }
        }
        line.append(r.nextInt(4) == 0 ? "\n" : "\r\n");
        return ascii(line.toString());
    }

    private static String escape(String text) {
        StringBuilder s = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                default -> s.append(c < 0x20 || c >= 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        return s.toString();
    }

    private static final String[] EDGES = {"*0\r\n", "*-1\r\n", "*-2\r\n", "*\r\n", "*1\r\n$-1\r\n", "*1\r\n$0\r\n\r\n",
            "*2147483648\r\n", "*2147483647\r\n", "*1048577\r\n", "*1048576\r\n", "*1\r\n$2147483647\r\n",
            "*1\r\n$2147483584\r\n", "*1\r\n$67108865\r\n", "*1\r\n$67108864\r\nab", "*1\r\n$4\r\nPING\n\n", "*1\r\n:1\r\n",
            "*1\r\n*1\r\n$4\r\nPING\r\n", "\r\n", "\n", " \r\n", "\t\r\n", "*1\r\n$4\r\nPI", "*1\n$4\nPING\n", "*1\r\r\n",
            "*1\r\n$4\r\nPINGxx", "*01\r\n$4\r\nPING\r\n", "*+1\r\n", "*1\r\n$+4\r\nPING\r\n", "*1\r\n$04\r\nPING\r\n",
            "*1\r\n$4 \r\nPING\r\n", "*-0\r\n", "*99999999999999999999\r\n", "*1\r\n$99999999999999999999\r\n",
            "*1\r\n$-9223372036854775808\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-5\r\nxx\r\n", "*1\r\n$4\r\nPING\r", "*",
            "$4\r\nPING\r\n", "+PING\r\n", "PING", "PING\r", "\"\"\r\n", "''\r\n", "\"\\x4\"\r\n", "\"\\\"\r\n",
            "\"\\xZZ\"\r\n", "'\\''\r\n", "ECHO \"a\\\"b\"\r\n", "\u0000\r\n", "*1\r\n\u0000", "*2\r\n$3\r\nGET\r\n",
            "*1\r\n$3\r\nGET\r\n", "*2\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n", "*2\r\n$4\r\nEVAL\r\n$1\r\nx\r\n",
            "*3\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$20\r\n99999999999999999999\r\n"};

    /** Nested aggregates, up to past the splitter's depth limit: the client decoder accepts none. */
    private static byte[] deepNesting(SplittableRandom r) {
        int depth = r.nextInt(4) == 0 ? 1000 + r.nextInt(200) : 1 + r.nextInt(50);
        String type = r.nextBoolean() ? "*1\r\n" : "*" + (1 + r.nextInt(3)) + "\r\n";
        return ascii(type.repeat(depth) + "$4\r\nPING\r\n");
    }

    /** A request announcing a huge value, with only a little of it. */
    private static byte[] hugeLength(SplittableRandom r) {
        String[] lengths = {"2147483583", "2147483584", "2147483647", "1073741824", "67108864", "67108865", "999999999",
                "-2", "-2147483648"};
        String length = lengths[r.nextInt(lengths.length)];
        return ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + length + "\r\n" + "x".repeat(r.nextInt(100)));
    }

    /** A line at, just over, or well over the inline limit. */
    private static byte[] longLine(SplittableRandom r, ClientLimits limits) {
        if (limits.maxInlineBytes() > 4096 && r.nextInt(20) != 0) {
            return ascii("ECHO " + "1".repeat(r.nextInt(4096)) + "\r\n"); // the default limit's 64 KiB lines are costly
        }
        int n = Math.min(limits.maxInlineBytes() + r.nextInt(5) - 2, 70_000);
        String prefix = r.nextBoolean() ? "ECHO " : r.nextBoolean() ? "*" : "*1\r\n$";
        return ascii(prefix + "1".repeat(Math.max(0, n)) + (r.nextBoolean() ? "\r\n" : ""));
    }

    /** Command and container-subcommand names from the shipped table. */
    private static List<String> commandNames() {
        List<String> names = new ArrayList<>();
        try (InputStream in = RedisClientCodec.class.getResourceAsStream("commands.tsv")) {
            if (in == null) {
                return List.of("GET", "SET");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String name = line.split("\t", 2)[0];
                names.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }
}
