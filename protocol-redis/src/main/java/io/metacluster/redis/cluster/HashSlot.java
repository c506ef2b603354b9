package io.metacluster.redis.cluster;

import io.netty.buffer.ByteBuf;

/**
 * Redis Cluster's key to hash slot: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key,
 * modulo 16384; a key holding {@code {...}} with something between the braces is hashed by that
 * part alone (the first {@code {} and the first {@code }} after it), so related keys share a slot.
 */
final class HashSlot {
    static final int SLOTS = 16384;
    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            TABLE[i] = crc & 0xffff;
        }
    }

    private HashSlot() {
    }

    /** The slot of the key at {@code from}, {@code length} bytes long, in {@code buf}. */
    static int of(ByteBuf buf, int from, int length) {
        int start = from;
        int end = from + length;
        int open = buf.indexOf(from, end, (byte) '{');
        if (open >= 0) {
            int close = buf.indexOf(open + 1, end, (byte) '}');
            if (close > open + 1) {
                start = open + 1;
                end = close;
            }
        }
        int crc = 0;
        for (int i = start; i < end; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ buf.getByte(i)) & 0xff]) & 0xffff;
        }
        return crc & (SLOTS - 1);
    }
}
