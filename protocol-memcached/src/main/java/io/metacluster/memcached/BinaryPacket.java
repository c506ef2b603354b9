package io.metacluster.memcached;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * The binary protocol's 24-byte header: field offsets, status codes, and the responses the proxy
 * writes itself. Stateless.
 *
 * <pre>
 * 0 magic | 1 opcode | 2-3 key length | 4 extras length | 5 data type | 6-7 vbucket (request) or status (response)
 * 8-11 total body length | 12-15 opaque | 16-23 cas ; then extras, key, value
 * </pre>
 */
final class BinaryPacket {
    static final int HEADER_BYTES = 24;
    static final int MAGIC_REQUEST = 0x80;
    static final int MAGIC_RESPONSE = 0x81;

    static final int OPCODE = 1;
    static final int KEY_LENGTH = 2;
    static final int EXTRAS_LENGTH = 4;
    static final int STATUS = 6;
    static final int BODY_LENGTH = 8;
    static final int OPAQUE = 12;
    static final int CAS = 16;

    static final int STATUS_SUCCESS = 0x0000;
    static final int STATUS_KEY_NOT_FOUND = 0x0001;
    static final int STATUS_KEY_EXISTS = 0x0002;
    static final int STATUS_VALUE_TOO_LARGE = 0x0003;
    static final int STATUS_INVALID_ARGUMENTS = 0x0004;
    static final int STATUS_ITEM_NOT_STORED = 0x0005;
    static final int STATUS_NON_NUMERIC = 0x0006;
    static final int STATUS_AUTH_ERROR = 0x0020;
    static final int STATUS_UNKNOWN_COMMAND = 0x0081;
    static final int STATUS_INTERNAL_ERROR = 0x0084;

    private BinaryPacket() {
    }

    /** The status of the response at {@code packet}'s reader index. */
    static int status(ByteBuf packet) {
        return packet.getUnsignedShort(packet.readerIndex() + STATUS);
    }

    /** A response with an optional key and value (no extras, cas 0). */
    static ByteBuf response(ByteBufAllocator alloc, int opcode, int opaque, int status, String key, String value) {
        ByteBuf out = alloc.buffer(HEADER_BYTES + 64);
        writeResponse(out, opcode, opaque, status, key, value);
        return out;
    }

    /** Appends a response to {@code out} (several make one reply, as {@code Stat} does). */
    static void writeResponse(ByteBuf out, int opcode, int opaque, int status, String key, String value) {
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        out.writeByte(MAGIC_RESPONSE)
                .writeByte(opcode)
                .writeShort(k.length)
                .writeByte(0)             // extras length
                .writeByte(0)             // data type: raw bytes
                .writeShort(status)
                .writeInt(k.length + v.length)
                .writeInt(opaque)
                .writeLong(0)             // cas
                .writeBytes(k)
                .writeBytes(v);
    }
}
