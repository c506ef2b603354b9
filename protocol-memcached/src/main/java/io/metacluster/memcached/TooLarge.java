package io.metacluster.memcached;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;

import static io.metacluster.memcached.BinaryPacket.*;

/**
 * A store refused for its value size that memcached 1.6.18 answers with an error <em>and</em> by
 * unlinking the key's old value ({@code proto_text.c}, {@code proto_bin.c}: "avoid stale data
 * persisting in cache because we failed alloc"): text {@code set}, every {@code ms} (whatever its
 * mode), binary Set and SetQ; not add, replace, append, prepend or cas, which keep the old value.
 * Checked against the real server.
 *
 * <p>The proxy refuses the value without forwarding it (it is swallowed as it arrives), so it
 * forwards the unlink instead: a delete of the key, a write like any other, sent to every cluster.
 * The client is shown memcached's error in place of the delete's reply ({@link #reply}); text
 * {@code noreply} hides it, as memcached does, while a meta {@code q} or binary SetQ shows it.
 * Stateless.
 */
final class TooLarge {
    static final String TEXT_ERROR = "SERVER_ERROR object too large for cache";
    static final String BINARY_ERROR = "Too large.";

    private TooLarge() {
    }

    /** Whether a text command refused for size unlinks the old value. */
    static boolean unlinksText(String name) {
        return name.equals("set") || name.equals("ms");
    }

    /** Whether a binary opcode refused for size unlinks the old value. */
    static boolean unlinksBinary(BinaryOpcode op) {
        return op == BinaryOpcode.SET || op == BinaryOpcode.SETQ;
    }

    /**
     * The delete standing for a text store refused for size: {@code delete <key>}, or for an
     * {@code ms} with a base64 key {@code md <key> b} (the key is decoded by the server).
     *
     * @param key the key token, not consumed
     */
    static Command text(ByteBuf key, boolean base64, boolean noreply, ByteBufAllocator alloc) {
        String verb = base64 ? "md " : "delete ";
        ByteBuf frame = alloc.buffer(verb.length() + key.readableBytes() + 4);
        frame.writeCharSequence(verb, StandardCharsets.US_ASCII);
        int keyAt = frame.writerIndex();
        frame.writeBytes(key, key.readerIndex(), key.readableBytes());
        frame.writeCharSequence(base64 ? " b\r\n" : "\r\n", StandardCharsets.US_ASCII);
        Request request = Request.tooLarge(base64 ? ReplyShape.META : ReplyShape.LINE, noreply ? Quiet.NOREPLY : Quiet.NONE);
        return Command.of(frame, base64 ? "md" : "delete", CommandKind.WRITE, keyAt, key.readableBytes(), request,
                MemcachedProtocol.TEXT_LANE);
    }

    /**
     * The Delete standing for a binary Set or SetQ refused for size, with the client's opaque.
     *
     * @param key the key bytes, not consumed
     */
    static Command binary(ByteBuf key, int opcode, int opaque, ByteBufAllocator alloc) {
        int keyLength = key.readableBytes();
        ByteBuf frame = alloc.buffer(HEADER_BYTES + keyLength)
                .writeByte(MAGIC_REQUEST).writeByte(BinaryOpcode.DELETE.code).writeShort(keyLength)
                .writeByte(0).writeByte(0).writeShort(0).writeInt(keyLength).writeInt(opaque).writeLong(0)
                .writeBytes(key, key.readerIndex(), keyLength);
        Request request = Request.tooLargeBinary(opcode, opaque);
        return Command.of(frame, "delete", CommandKind.WRITE, HEADER_BYTES, keyLength, request, MemcachedProtocol.BINARY_LANE);
    }

    /** What the client sees instead of the delete's reply (released here); {@code null} for nothing. */
    static ByteBuf reply(Request request, ByteBuf deleteReply) {
        ByteBufAllocator alloc = deleteReply.alloc();
        deleteReply.release();
        if (request.binary()) {
            return response(alloc, request.opcode(), request.opaque(), STATUS_VALUE_TOO_LARGE, "", BINARY_ERROR);
        }
        return request.quiet().hidesErrors() ? null : ByteBufUtil.writeAscii(alloc, TEXT_ERROR + "\r\n");
    }
}
