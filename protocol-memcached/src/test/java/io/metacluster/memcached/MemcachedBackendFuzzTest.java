package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.testing.FuzzKit;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.metacluster.testing.FuzzKit.ascii;
import static io.metacluster.testing.FuzzKit.printable;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of memcached reply splitting ({@link MemcachedBackendCodec}) for every request
 * shape: real requests (text, meta and binary, decoded by the client codec, so each carries what
 * the engine would give the backend codec) answered by streams of valid replies of their shape
 * ({@code VALUE} blocks holding {@code END\r\n} in their data, {@code VA} blocks, lines, error
 * lines, binary responses with any status), plus huge announced value and body lengths, then
 * mutated and fed whole and in random chunks through the engine's reply loop, which also runs
 * {@code isError}, {@code present} (quiet modes) and {@code propagation} (cas) on every reply.
 * Properties: only ProtocolException escapes; lengths are -1 or in 1..readable; bounded calls, no
 * hang, no leak, no allocation out of proportion; the same lengths however the stream is cut;
 * and for an unmutated stream exactly the lengths of the replies generated.
 */
class MemcachedBackendFuzzTest {
    static final long CI_CASES = 30_000;

    @Test
    void repliesNeverBreakTheSplitter() throws Exception {
        long ran = FuzzKit.run("memcached backend replies", CI_CASES, MemcachedBackendFuzzTest::oneCase);
        assertThat(ran).isPositive();
    }

    static void oneCase(SplittableRandom r) {
        boolean binary = r.nextInt(3) == 0;
        ClientLimits limits = new ClientLimits(1024 * 1024, 1024, 4096);
        FuzzKit.Tracking alloc = new FuzzKit.Tracking(r, 1 << 20);
        List<Command> requests = new ArrayList<>();
        byte[] input = new byte[0];
        try {
            // requests, as the client codec decodes them (only those the engine forwards to a backend)
            ClientCodec client = new MemcachedProtocol().newClientCodec(limits);
            int wanted = 1 + r.nextInt(r.nextInt(8) == 0 ? 20 : 4);
            for (int attempt = 0; requests.size() < wanted && attempt < 4 * wanted; attempt++) {
                byte[] bytes = binary ? MemcachedBinaryFuzzTest.packet(r, limits) : MemcachedTextFuzzTest.request(r, limits);
                if (binary) {
                    bytes[0] = (byte) 0x80;
                } else if (bytes.length > 0 && (bytes[0] & 0xff) == 0x80) {
                    continue;
                }
                ClientCodec fresh = new MemcachedProtocol().newClientCodec(limits);
                for (Command c : decodeAll(fresh, alloc, bytes)) {
                    if (c.kind() == CommandKind.READ || c.kind() == CommandKind.WRITE || c.kind() == CommandKind.CONDITIONAL_WRITE) {
                        requests.add(c);
                    } else {
                        c.release();
                    }
                }
            }
            List<byte[]> replies = new ArrayList<>();
            for (Command c : requests) {
                replies.add(reply(r, c));
            }
            byte[] stream = FuzzKit.concat(replies);
            boolean mutated = r.nextInt(10) < 6;
            input = mutated ? FuzzKit.mutate(r, stream) : stream;
            alloc.setMaxAllocation(Math.max(64 * 1024, 16 * input.length));

            List<String> whole = split(binary, client, alloc, requests, input, new int[0]);
            int[] cuts = FuzzKit.cuts(r, input.length);
            List<String> chunked = split(binary, client, alloc, requests, input, cuts);
            if (!whole.equals(chunked)) {
                throw new AssertionError("cut at " + Arrays.toString(cuts) + " the replies split differently:\nwhole:   "
                        + whole + "\nchunked: " + chunked + "\nrequests: " + requests);
            }
            if (!mutated) {
                List<String> expected = new ArrayList<>();
                for (byte[] reply : replies) {
                    expected.add(Integer.toString(reply.length));
                }
                if (!whole.equals(expected)) {
                    throw new AssertionError("valid replies split wrongly:\nexpected: " + expected + "\nsplit:    " + whole
                            + "\nrequests: " + requests);
                }
            }
            for (Command c : requests) {
                c.release();
            }
            requests.clear();
            alloc.assertAllReleased("after the case");
        } catch (AssertionError e) {
            alloc.releaseAll();
            throw new AssertionError(e.getMessage() + "\n" + (binary ? "binary" : "text") + " replies: " + printable(input, 2000), e);
        }
    }

    private static List<String> split(boolean binary, ClientCodec client, FuzzKit.Tracking alloc, List<Command> requests,
                                      byte[] input, int[] cuts) {
        BackendCodec codec = new MemcachedProtocol().newBackendCodec(new BackendSettings("dc1", "127.0.0.1:11211", null, null, 0),
                binary ? MemcachedProtocol.BINARY_LANE : MemcachedProtocol.TEXT_LANE);
        return FuzzKit.splitReplies(codec, client, alloc, requests, input, cuts);
    }

    /** Every command {@code codec} decodes from {@code bytes} in one read (the caller releases them). */
    private static List<Command> decodeAll(ClientCodec codec, FuzzKit.Tracking alloc, byte[] bytes) {
        List<Command> out = new ArrayList<>();
        io.netty.buffer.ByteBuf in = alloc.wrap(bytes);
        try {
            for (int i = 0; i < 100 && in.isReadable(); i++) {
                int before = in.readableBytes();
                Command c = codec.decode(in);
                if (c != null) {
                    out.add(c);
                } else if (in.readableBytes() == before) {
                    break;
                }
            }
        } catch (io.metacluster.spi.ProtocolException e) {
            // a request the engine would not forward: fine
        } finally {
            in.release();
        }
        return out;
    }

    /** A valid reply to {@code request}, shaped as memcached would answer it. */
    static byte[] reply(SplittableRandom r, Command request) {
        if (request.lane() == MemcachedProtocol.BINARY_LANE) {
            return binaryReply(r, request);
        }
        String name = request.name();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (r.nextInt(12) == 0) {
            out.writeBytes(ascii(new String[] {"ERROR", "CLIENT_ERROR bad data chunk", "SERVER_ERROR out of memory"}[r.nextInt(3)]
                    + eol(r)));
            return out.toByteArray();
        }
        switch (name) {
            case "get", "gets", "gat", "gats" -> {
                int values = r.nextInt(4);
                for (int i = 0; i < values; i++) {
                    byte[] data = value(r);
                    out.writeBytes(ascii("VALUE key:" + i + " " + r.nextInt(100) + " " + data.length
                            + (name.endsWith("s") ? " " + r.nextInt(1_000_000) : "") + "\r\n"));
                    out.writeBytes(data);
                    out.writeBytes(ascii("\r\n"));
                }
                out.writeBytes(ascii("END" + eol(r)));
            }
            case "stats" -> { // STAT lines up to END, or one line (RESET, an error)
                if (r.nextInt(4) == 0) {
                    out.writeBytes(ascii(new String[] {"RESET", "OK", "END"}[r.nextInt(3)] + eol(r)));
                } else {
                    for (int i = r.nextInt(5); i > 0; i--) {
                        out.writeBytes(ascii("STAT " + new String(value(r), java.nio.charset.StandardCharsets.ISO_8859_1)
                                .replace("\r", "").replace("\n", "") + "x " + r.nextInt(1000) + eol(r)));
                    }
                    out.writeBytes(ascii("END" + eol(r)));
                }
            }
            case "mg", "ms", "md", "ma" -> {
                if (r.nextInt(3) == 0) {
                    byte[] data = value(r);
                    out.writeBytes(ascii("VA " + data.length + (r.nextBoolean() ? " f0 c12 t-1" : "") + "\r\n"));
                    out.writeBytes(data);
                    out.writeBytes(ascii("\r\n"));
                } else {
                    out.writeBytes(ascii(new String[] {"HD", "HD c5", "EN", "NF", "NS", "EX", "MN"}[r.nextInt(7)] + eol(r)));
                }
            }
            default -> out.writeBytes(ascii(new String[] {"STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "TOUCHED", "OK",
                    "42", "ME key exp=-1 la=1", "VERSION 1.6.18"}[r.nextInt(10)] + eol(r)));
        }
        return out.toByteArray();
    }

    private static String eol(SplittableRandom r) {
        return r.nextInt(8) == 0 ? "\n" : "\r\n";
    }

    /** A value that holds the text of reply lines, which must be skipped as data. */
    private static byte[] value(SplittableRandom r) {
        String[] pieces = {"END\r\n", "VALUE k 0 1\r\n", "EN\r\n", "\r\n", "x", "abc", "VA 2\r\n"};
        StringBuilder s = new StringBuilder();
        int n = r.nextInt(r.nextInt(20) == 0 ? 400 : 6);
        for (int i = 0; i < n; i++) {
            s.append(pieces[r.nextInt(pieces.length)]);
        }
        return ascii(s.toString());
    }

    private static byte[] binaryReply(SplittableRandom r, Command request) {
        int opcode = request.frame().getUnsignedByte(request.frame().readerIndex() + 1);
        if (opcode == BinaryOpcode.STAT.code) { // responses with a key (a figure each), up to one without
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = r.nextInt(4); i > 0; i--) {
                out.writeBytes(BinaryRequestDecoderTest.response(opcode, 0, "stat" + i, Integer.toString(r.nextInt(1000)),
                        request.frame().getInt(request.frame().readerIndex() + 12)));
            }
            out.writeBytes(BinaryRequestDecoderTest.response(opcode, r.nextInt(4) == 0 ? 1 : 0, "", "",
                    request.frame().getInt(request.frame().readerIndex() + 12)));
            return out.toByteArray();
        }
        int[] statuses = {0, 0, 0, 1, 2, 3, 4, 5, 6, 0x81, 0x82, 0x84};
        int key = r.nextInt(4) == 0 ? 1 + r.nextInt(10) : 0;
        int extras = r.nextBoolean() ? 4 : 0;
        int value = r.nextInt(r.nextInt(20) == 0 ? 3000 : 30);
        ByteBuffer out = ByteBuffer.allocate(24 + extras + key + value);
        out.put((byte) 0x81).put((byte) opcode).putShort((short) key).put((byte) extras).put((byte) 0)
                .putShort((short) statuses[r.nextInt(statuses.length)]).putInt(extras + key + value)
                .putInt(request.frame().getInt(request.frame().readerIndex() + 12)).putLong(r.nextLong());
        while (out.hasRemaining()) {
            out.put((byte) ('a' + r.nextInt(26)));
        }
        return out.array();
    }
}
