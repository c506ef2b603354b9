package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.testing.FuzzKit;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of memcached binary request decoding ({@link BinaryRequestDecoder} behind
 * {@link MemcachedClientCodec}): packets of every opcode (defined, quiet, SASL and undefined),
 * with extras, key and value lengths that agree with the body length or not, bodies over the
 * frame limit and up to 4 GiB announced (swallowed, never allocated), non-zero cas, wrong magic
 * in the middle of the stream, then mutated and fed whole and in random chunks. Same properties
 * as {@link MemcachedTextFuzzTest}.
 */
class MemcachedBinaryFuzzTest {
    static final long CI_CASES = 30_000;

    @Test
    void binaryRequestsNeverBreakTheDecoder() throws Exception {
        long ran = FuzzKit.run("memcached binary requests", CI_CASES, MemcachedBinaryFuzzTest::oneCase);
        assertThat(ran).isPositive();
    }

    static void oneCase(SplittableRandom r) {
        ClientLimits limits = MemcachedTextFuzzTest.limits(r);
        byte[] stream = MemcachedTextFuzzTest.stream(r, limits, MemcachedBinaryFuzzTest::packet);
        byte[] input = r.nextInt(10) < 5 ? FuzzKit.mutate(r, stream) : stream;
        if (input.length > 0 && r.nextInt(10) != 0) {
            input[0] = (byte) 0x80; // stay binary (a mutated first byte would make it a text connection)
        }
        MemcachedTextFuzzTest.check(r, limits, input);
    }

    /** The opcodes memcached defines, plus a few it does not. */
    private static final int[] OPCODES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
            0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x20, 0x21,
            0x22, 0x23, 0x24, 0x1f, 0x25, 0x30, 0x3d, 0x83, 0xff};

    static byte[] packet(SplittableRandom r, ClientLimits limits) {
        int opcode = OPCODES[r.nextInt(OPCODES.length)];
        int extras = switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 4;
            case 2 -> 8;
            case 3 -> 20;
            case 4 -> r.nextInt(256);
            default -> expectedExtras(opcode);
        };
        int key = r.nextInt(8) == 0 ? (r.nextBoolean() ? 250 + r.nextInt(3) : r.nextInt(65536)) : r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(20);
        int value = r.nextInt(3) == 0 ? 0 : r.nextInt(r.nextInt(20) == 0 ? 5000 : 50);
        long body = (long) extras + key + value;
        int pick = r.nextInt(20);
        if (pick == 0) {
            body = new long[] {0xffffffffL, 0x80000000L, 0x7fffffffL, limits.maxFrameBytes() + 1 + extras + key,
                    Integer.MAX_VALUE - 23L, Integer.MAX_VALUE - 24L}[r.nextInt(6)];
        } else if (pick == 1) {
            body = Math.max(0, body - 1 - r.nextInt(10)); // lengths that do not add up
        }
        int sent = (int) Math.min(body, r.nextInt(4) == 0 ? 300 : extras + key + value);
        ByteBuffer out = ByteBuffer.allocate(24 + sent);
        out.put((byte) (r.nextInt(40) == 0 ? 0x81 : 0x80))
                .put((byte) opcode)
                .putShort((short) key)
                .put((byte) extras)
                .put((byte) (r.nextInt(10) == 0 ? r.nextInt(256) : 0))
                .putShort((short) (r.nextInt(10) == 0 ? r.nextInt(65536) : 0))
                .putInt((int) body)
                .putInt(r.nextInt())
                .putLong(r.nextBoolean() ? 0 : r.nextLong());
        byte[] rest = new byte[sent];
        for (int i = 0; i < sent; i++) {
            rest[i] = (byte) ('a' + r.nextInt(26));
        }
        out.put(rest);
        return out.array();
    }

    private static int expectedExtras(int opcode) {
        return switch (opcode) {
            case 0x01, 0x02, 0x03, 0x11, 0x12, 0x13 -> 8;
            case 0x05, 0x06, 0x15, 0x16 -> 20;
            case 0x08, 0x18, 0x1b, 0x1c, 0x1d, 0x1e, 0x23, 0x24 -> 4;
            default -> 0;
        };
    }
}
