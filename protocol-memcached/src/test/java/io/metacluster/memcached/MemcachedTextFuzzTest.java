package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.testing.FuzzKit;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

import static io.metacluster.testing.FuzzKit.ascii;
import static io.metacluster.testing.FuzzKit.concat;
import static io.metacluster.testing.FuzzKit.printable;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of memcached text and meta request decoding ({@link TextRequestDecoder} behind
 * {@link MemcachedClientCodec}): streams of every classic and meta command with valid and invalid
 * keys, numbers (huge, negative, overflowing), noreply and meta flags (q, b, C, M modes), data
 * blocks of the announced length or not, oversized values (swallowed as they arrive), long lines
 * and random bytes, then mutated, and fed whole and in random chunks. Same properties as
 * {@code RedisClientFuzzTest}: only ProtocolException escapes, commands are well formed and
 * their ADMIN answers and errors render, bounded decode calls, no hang, no leak, no allocation
 * out of proportion, and the same commands however the input is cut.
 */
class MemcachedTextFuzzTest {
    static final long CI_CASES = 40_000;

    @Test
    void textAndMetaRequestsNeverBreakTheDecoder() throws Exception {
        long ran = FuzzKit.run("memcached text+meta requests", CI_CASES, MemcachedTextFuzzTest::oneCase);
        assertThat(ran).isPositive();
    }

    static void oneCase(SplittableRandom r) {
        ClientLimits limits = limits(r);
        byte[] stream = stream(r, limits, MemcachedTextFuzzTest::request);
        byte[] input = r.nextInt(10) < 6 ? FuzzKit.mutate(r, stream) : stream;
        check(r, limits, input);
    }

    /** Small random limits a quarter of the time, else large or the defaults; shared with the binary fuzz test. */
    static ClientLimits limits(SplittableRandom r) {
        return r.nextInt(4) == 0
                ? new ClientLimits(1 + r.nextInt(4096), 1 + r.nextInt(16), 8 + r.nextInt(512))
                : r.nextBoolean() ? new ClientLimits(1024 * 1024, 1024, 4096) : ClientLimits.DEFAULTS;
    }

    /** One to five requests (now and then up to thirty) from {@code request}, back to back; shared with the binary fuzz test. */
    static byte[] stream(SplittableRandom r, ClientLimits limits, BiFunction<SplittableRandom, ClientLimits, byte[]> request) {
        List<byte[]> parts = new ArrayList<>();
        int requests = 1 + r.nextInt(r.nextInt(8) == 0 ? 30 : 5);
        for (int i = 0; i < requests; i++) {
            parts.add(request.apply(r, limits));
        }
        return concat(parts);
    }

    /** Decodes {@code input} whole and cut, with every check; shared with the binary fuzz test. */
    static void check(SplittableRandom r, ClientLimits limits, byte[] input) {
        FuzzKit.Tracking alloc = new FuzzKit.Tracking(r, Math.max(64 * 1024, 16 * input.length));
        long heapBefore = FuzzKit.allocatedBytes();
        try {
            List<String> whole = FuzzKit.decodeClient(new MemcachedProtocol().newClientCodec(limits), alloc, input,
                    new int[0], c -> String.valueOf(c.detail()));
            alloc.assertAllReleased("whole input");
            int[] cuts = FuzzKit.cuts(r, input.length);
            List<String> chunked = FuzzKit.decodeClient(new MemcachedProtocol().newClientCodec(limits), alloc, input, cuts,
                    c -> String.valueOf(c.detail()));
            alloc.assertAllReleased("input in chunks");
            if (!whole.equals(chunked)) {
                throw new AssertionError("cut at " + Arrays.toString(cuts) + " the input decodes differently:\nwhole:   "
                        + whole + "\nchunked: " + chunked);
            }
        } catch (AssertionError e) {
            alloc.releaseAll();
            throw new AssertionError(e.getMessage() + "\ninput (" + limits + "): " + printable(input, 2000), e);
        }
        long heap = FuzzKit.allocatedBytes() - heapBefore;
        if (heap > 256L * 1024 * 1024 + 256L * input.length) {
            throw new AssertionError("decoding " + input.length + " bytes allocated " + heap + " heap bytes: " + printable(input, 500));
        }
    }

    static String key(SplittableRandom r) {
        return switch (r.nextInt(20)) {
            case 0 -> "k".repeat(250);
            case 1 -> "k".repeat(251);
            case 2 -> "a\u0001b";
            case 3 -> "k\u007f";
            case 4 -> "bG9uZ2tleQ==";
            case 5 -> "\u00e9t\u00e9";
            case 6 -> "a".repeat(251 + r.nextInt(86)); // base64 text of a key of 188 to 250 bytes
            default -> "key:" + r.nextInt(50);
        };
    }

    static String num(SplittableRandom r) {
        return r.nextInt(3) == 0 ? FuzzKit.number(r).replace(" ", "") : Integer.toString(r.nextInt(1000));
    }

    static String noreply(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> " noreply";
            case 1 -> r.nextBoolean() ? " norepl" : " NOREPLY";
            case 2 -> r.nextBoolean() ? " noreply\u0000" : " 0\u0000 noreply";
            default -> "";
        };
    }

    static String eol(SplittableRandom r) {
        return r.nextInt(6) == 0 ? "\n" : "\r\n";
    }

    /** A data block: the announced length, or not quite. */
    static byte[] data(SplittableRandom r, int announced) {
        int length = r.nextInt(8) == 0 ? Math.max(0, announced + r.nextInt(5) - 2) : announced;
        byte[] value = new byte[length];
        for (int i = 0; i < length; i++) {
            value[i] = r.nextInt(10) == 0 ? (byte) "\r\nEND \u0000".charAt(r.nextInt(7)) : (byte) ('a' + r.nextInt(26));
        }
        return concat(List.of(value, ascii(r.nextInt(10) == 0 ? "\n" : "\r\n")));
    }

    static byte[] request(SplittableRandom r, ClientLimits limits) {
        int size = r.nextInt(r.nextInt(20) == 0 ? 5000 : 40);
        switch (r.nextInt(24)) {
            case 0, 1, 2 -> {
                String name = new String[] {"set", "add", "replace", "append", "prepend"}[r.nextInt(5)];
                String bytes = r.nextInt(6) == 0 ? num(r) : Integer.toString(size);
                return withData(r, name + " " + key(r) + " " + num(r) + " " + num(r) + " " + bytes + noreply(r), bytes, size);
            }
            case 3 -> {
                String bytes = r.nextInt(6) == 0 ? num(r) : Integer.toString(size);
                return withData(r, "cas " + key(r) + " " + num(r) + " " + num(r) + " " + bytes + " " + num(r) + noreply(r),
                        bytes, size);
            }
            case 4, 5 -> {
                StringBuilder line = new StringBuilder(r.nextBoolean() ? "get" : "gets");
                int keys = r.nextInt(r.nextInt(10) == 0 ? 40 : 4);
                for (int i = 0; i < keys; i++) {
                    line.append(' ').append(key(r));
                }
                return ascii(line + eol(r));
            }
            case 6 -> {
                return ascii((r.nextBoolean() ? "gat " : "gats ") + num(r) + " " + key(r) + (r.nextBoolean() ? " " + key(r) : "") + eol(r));
            }
            case 7 -> {
                return ascii((r.nextBoolean() ? "incr " : "decr ") + key(r) + " " + num(r) + noreply(r) + eol(r));
            }
            case 8 -> {
                return ascii("delete " + key(r) + (r.nextBoolean() ? " 0" : r.nextInt(5) == 0 ? " 5" : "") + noreply(r) + eol(r));
            }
            case 9 -> {
                return ascii("touch " + key(r) + " " + num(r) + noreply(r) + eol(r));
            }
            case 10 -> {
                return ascii("flush_all" + (r.nextBoolean() ? " " + num(r) : "") + noreply(r) + eol(r));
            }
            case 11 -> {
                String[] admin = {"version", "quit", "stats", "stats items", "stats  ", "mn", "verbosity 1", "verbosity 1 noreply",
                        "verbosity", "version x"};
                return ascii(admin[r.nextInt(admin.length)] + eol(r));
            }
            case 12, 13 -> {
                return ascii("mg " + key(r) + metaFlags(r, "vtfkqbOTNEhlsc") + eol(r));
            }
            case 14, 15 -> {
                String bytes = r.nextInt(6) == 0 ? num(r) : Integer.toString(size);
                return withData(r, "ms " + key(r) + " " + bytes + metaFlags(r, "TFIqbCNkOM"), bytes, size);
            }
            case 16 -> {
                return ascii("md " + key(r) + metaFlags(r, "qCITxbk") + eol(r));
            }
            case 17 -> {
                return ascii("ma " + key(r) + metaFlags(r, "qNJDTMCvtbk") + eol(r));
            }
            case 18 -> {
                return ascii("me " + key(r) + (r.nextBoolean() ? " q" : "") + eol(r));
            }
            case 19 -> { // oversized value announced, maybe sent, swallowed as it arrives
                long bytes = limits.maxFrameBytes() + 1 + r.nextInt(100);
                String[] huge = {Long.toString(bytes), "2147483647", "4294967296", "9223372036854775807", "18446744073709551615"};
                String announced = huge[r.nextInt(huge.length)];
                int sent = (int) Math.min(bytes + 2, r.nextInt(3) == 0 ? 6000 : 200);
                return concat(List.of(ascii((r.nextBoolean() ? "set k 0 0 " : "ms k ") + announced + eol(r)), new byte[sent]));
            }
            case 20 -> {
                int n = Math.min(limits.maxInlineBytes() + r.nextInt(5) - 2, r.nextInt(20) == 0 ? 70_000 : 5000);
                return ascii("get " + "k".repeat(Math.max(0, n)) + (r.nextBoolean() ? "\r\n" : ""));
            }
            case 21 -> {
                String[] edges = {"\r\n", "\n", " \r\n", "GET k\r\n", "set\r\n", "set k 0 0\r\n", "set k 0 0 -1\r\n",
                        "set k 0 0 1 noreply extra\r\nx\r\n", "cas k 0 0 1\r\nx\r\n", "get\r\n", "incr k\r\n", "delete\r\n",
                        "ms k\r\n", "ms k x\r\n", "ms\r\n", "mg\r\n", "mg  k\r\n", "ma k q q q\r\n", "md k C\r\n", "ms k 2 C\r\nab\r\n",
                        "ms k 2 MA C1\r\nab\r\n", "ms k 1 M\r\nx\r\n", "\u0080", "\r", "stats\u0000\r\n", "touch k x\r\n",
                        "flush_all a b c d\r\n", "verbosity\r\n", "gat x k\r\n", "gat 1\r\n", "set k 0 0 2\r\nabcd\r\n"};
                return ascii(edges[r.nextInt(edges.length)]);
            }
            default -> {
                return FuzzKit.randomBytes(r, 64);
            }
        }
    }

    private static byte[] withData(SplittableRandom r, String line, String bytes, int size) {
        int announced;
        try {
            announced = Integer.parseInt(bytes);
        } catch (NumberFormatException e) {
            announced = size;
        }
        return concat(List.of(ascii(line + eol(r)), data(r, Math.max(0, Math.min(announced, 6000)))));
    }

    private static String metaFlags(SplittableRandom r, String flags) {
        StringBuilder out = new StringBuilder();
        int n = r.nextInt(r.nextInt(10) == 0 ? 30 : 5);
        for (int i = 0; i < n; i++) {
            char f = r.nextInt(40) == 0 ? "zZx\u0080\u00ff\t".charAt(r.nextInt(6)) : flags.charAt(r.nextInt(flags.length()));
            out.append(' ').append(f);
            if (r.nextInt(200) == 0) {
                out.append("x".repeat(2000 + r.nextInt(100))); // around the 2048-byte line memcached waits for
            }
            switch (f) {
                case 'T', 'N', 'C', 'E', 'F', 'J', 'D', 'I', 'O' -> out.append(r.nextInt(4) == 0 ? "" : num(r));
                case 'M' -> out.append(r.nextInt(5) == 0 ? "" : String.valueOf("SEAPRsapx".charAt(r.nextInt(9))));
                case 'q' -> out.append(new String[] {"", "", "", "0", "-1", "q", "\r", "\u0000"}[r.nextInt(8)]);
                default -> {
                }
            }
        }
        return out.toString();
    }
}
