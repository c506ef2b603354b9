package io.metacluster.redis;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.testing.FuzzKit;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.metacluster.testing.FuzzKit.ascii;
import static io.metacluster.testing.FuzzKit.printable;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of Redis reply splitting ({@link RedisBackendCodec}, {@link RespSplitter}):
 * streams of RESP2/RESP3 replies of every type (attributes, maps, sets, pushes, verbatim and blob
 * errors, nulls), nested up to and past {@link RespSplitter#MAX_DEPTH}, huge and negative
 * lengths, then mutated, and fed whole and in random chunks through the engine's reply loop.
 * Properties: only {@link io.metacluster.spi.ProtocolException} escapes; a reply length is -1 or
 * within what is readable and never 0; nothing is consumed by the codec; bounded calls, no hang,
 * no leak, no allocation out of proportion; the same lengths however the stream is cut; and for
 * an unmutated stream, exactly the lengths of the replies generated.
 */
class RedisBackendFuzzTest {
    static final long CI_CASES = 20_000;

    @Test
    void repliesNeverBreakTheSplitter() throws Exception {
        long ran = FuzzKit.run("redis backend replies", CI_CASES, RedisBackendFuzzTest::oneCase);
        assertThat(ran).isPositive();
    }

    static void oneCase(SplittableRandom r) {
        List<byte[]> replies = new ArrayList<>();
        boolean tooDeep = false;
        boolean allValid = true;
        int count = 1 + r.nextInt(r.nextInt(8) == 0 ? 30 : 5);
        for (int i = 0; i < count; i++) {
            Reply reply = reply(r);
            replies.add(reply.bytes);
            tooDeep |= reply.depth - 1 > RespSplitter.MAX_DEPTH; // depth counts the scalar inside the aggregates
            allValid &= reply.valid;
        }
        byte[] stream = FuzzKit.concat(replies);
        boolean mutated = r.nextInt(10) < 6;
        byte[] input = mutated ? FuzzKit.mutate(r, stream) : stream;
        int handshakes = r.nextInt(6) == 0 ? 1 + r.nextInt(2) : 0;
        int requests = r.nextInt(10) == 0 ? r.nextInt(count + 1) : count + 2;

        FuzzKit.Tracking alloc = new FuzzKit.Tracking(r, Math.max(64 * 1024, 16 * input.length));
        List<Command> inFlight = new ArrayList<>();
        try {
            for (int i = 0; i < handshakes + requests; i++) {
                inFlight.add(i < handshakes ? null : get(alloc));
            }
            List<String> whole = split(alloc, inFlight, input, new int[0]);
            int[] cuts = FuzzKit.cuts(r, input.length);
            List<String> chunked = split(alloc, inFlight, input, cuts);
            if (!whole.equals(chunked)) {
                throw new AssertionError("cut at " + Arrays.toString(cuts) + " the replies split differently:\nwhole:   "
                        + whole + "\nchunked: " + chunked);
            }
            if (!mutated && allValid && !tooDeep && requests >= count) {
                List<String> expected = new ArrayList<>();
                for (byte[] reply : replies) {
                    expected.add(Integer.toString(reply.length));
                }
                if (!whole.equals(expected)) {
                    throw new AssertionError("valid replies split wrongly:\nexpected: " + expected + "\nsplit:    " + whole);
                }
            }
            if (tooDeep && allValid && !mutated && requests >= count && whole.stream().noneMatch(s -> s.startsWith("ProtocolException"))) {
                throw new AssertionError("a reply nested deeper than " + RespSplitter.MAX_DEPTH + " was accepted: " + whole);
            }
            for (Command c : inFlight) {
                if (c != null) {
                    c.release();
                }
            }
            inFlight.clear();
            alloc.assertAllReleased("after the case");
        } catch (AssertionError e) {
            alloc.releaseAll();
            throw new AssertionError(e.getMessage() + "\ninput: " + printable(input, 2000), e);
        }
    }

    private static List<String> split(FuzzKit.Tracking alloc, List<Command> inFlight, byte[] input, int[] cuts) {
        BackendCodec codec = new RedisProtocol().newBackendCodec(new BackendSettings("dc1", "127.0.0.1:6379", null, null, 0), 0);
        ClientCodec client = new RedisProtocol().newClientCodec(ClientLimits.DEFAULTS);
        return FuzzKit.splitReplies(codec, client, alloc, inFlight, input, cuts);
    }

    private static Command get(FuzzKit.Tracking alloc) {
        byte[] frame = ascii("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        return Command.of(alloc.wrap(frame), "GET", CommandKind.READ, new int[] {frame.length - 3, 1}, null);
    }

    record Reply(byte[] bytes, int depth, boolean valid) {
    }

    static Reply reply(SplittableRandom r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pick = r.nextInt(100);
        int depth;
        boolean valid = false;
        if (pick < 4) {
            depth = deep(r, out);
            valid = true;
        } else if (pick < 10) {
            out.writeBytes(ascii(EDGES[r.nextInt(EDGES.length)]));
            depth = 1;
        } else if (pick < 14) {
            out.writeBytes(huge(r));
            depth = 1;
        } else {
            depth = value(r, out, 0);
            valid = true;
        }
        return new Reply(out.toByteArray(), depth, valid);
    }

    /** Writes one value; returns its nesting depth (1 for a scalar). */
    static int value(SplittableRandom r, ByteArrayOutputStream out, int level) {
        int kind = r.nextInt(level > 4 ? 12 : 18);
        switch (kind) {
            case 0 -> line(out, '+', r.nextBoolean() ? "OK" : "QUEUED");
            case 1 -> line(out, '-', r.nextBoolean() ? "ERR unknown command" : "WRONGTYPE Operation against a key");
            case 2 -> line(out, ':', FuzzKit.number(r));
            case 3 -> line(out, '_', "");
            case 4 -> line(out, ',', r.nextBoolean() ? "3.14" : r.nextBoolean() ? "inf" : "-nan");
            case 5 -> line(out, '#', r.nextBoolean() ? "t" : "f");
            case 6 -> line(out, '(', "3492890328409238509324850943850943825024385");
            case 7, 8 -> blob(out, '$', FuzzKit.randomBytes(r, r.nextInt(20) == 0 ? 3000 : 40));
            case 9 -> blob(out, '=', FuzzKit.concat(List.of(ascii("txt:"), FuzzKit.randomBytes(r, 20))));
            case 10 -> blob(out, '!', ascii("SYNTAX invalid syntax"));
            case 11 -> out.writeBytes(ascii(r.nextBoolean() ? "$-1\r\n" : "*-1\r\n"));
            default -> {
                char type = "*~>%|*".charAt(r.nextInt(6));
                int n = r.nextInt(5);
                out.writeBytes(ascii(type + Integer.toString(n) + "\r\n"));
                int children = type == '%' ? 2 * n : type == '|' ? 2 * n + 1 : n;
                int depth = 0;
                for (int i = 0; i < children; i++) {
                    depth = Math.max(depth, value(r, out, level + 1));
                }
                return depth + 1;
            }
        }
        return 1;
    }

    private static void line(ByteArrayOutputStream out, char type, String text) {
        out.writeBytes(ascii(type + text + "\r\n"));
    }

    private static void blob(ByteArrayOutputStream out, char type, byte[] payload) {
        out.writeBytes(ascii(type + Integer.toString(payload.length) + "\r\n"));
        out.writeBytes(payload);
        out.writeBytes(ascii("\r\n"));
    }

    /** A chain of one-element aggregates around a scalar: around, at or past the depth limit. */
    private static int deep(SplittableRandom r, ByteArrayOutputStream out) {
        // at the limit one time in eight: a reply that deep is long, and the fuzzing feeds it in many cuts
        int depth = r.nextInt(8) == 0 ? RespSplitter.MAX_DEPTH - 2 + r.nextInt(5) : 1 + r.nextInt(200);
        for (int i = 0; i < depth; i++) {
            out.writeBytes(ascii(r.nextInt(8) == 0 ? "|0\r\n" : "*1\r\n"));
        }
        out.writeBytes(ascii(":1\r\n"));
        return depth + 1; // the attribute levels count: they are pseudo-aggregates on the stack
    }

    private static byte[] huge(SplittableRandom r) {
        String[] lengths = {"2147483583", "2147483584", "2147483647", "2147483648", "9223372036854775807", "-2", "-1",
                "1073741824", "99999999999999999999"};
        char type = "$=!*%~>|".charAt(r.nextInt(8));
        return ascii(type + lengths[r.nextInt(lengths.length)] + "\r\n" + "x".repeat(r.nextInt(50)));
    }

    private static final String[] EDGES = {"+\r\n", "-\r\n", ":\r\n", "$0\r\n\r\n", "$0\r\n", "*0\r\n", "%0\r\n", "|0\r\n:1\r\n",
            "$?\r\n", "*?\r\n", "$1\r\nab\r\n", "$1\r\na\n\r", "+OK\n", "+OK\r", "+OK\rx\n", "\r\n", "x\r\n", "$-2\r\n",
            "*-2\r\n", "~-1\r\n", "$01\r\na\r\n", "$+1\r\na\r\n", "$ 1\r\na\r\n", "$1 \r\na\r\n", "*1\r\n", "%1\r\n:1\r\n",
            "$-0\r\n", "*2147483647\r\n", "*1\r\n$-1\r\n", ">0\r\n", "=3\r\ntxt\r\n", "!0\r\n\r\n", "$123456789012345678901\r\n"};
}
