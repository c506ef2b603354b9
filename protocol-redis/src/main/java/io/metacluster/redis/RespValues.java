package io.metacluster.redis;

import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the few reply shapes a resync needs ({@link RedisNodeSync}) out of complete RESP frames:
 * integers, bulk strings and the SCAN reply. Values are slices of the reply, valid while it is.
 */
final class RespValues {
    private RespValues() {
    }

    /** {@code :n}; an error or another type is a {@link ProtocolException}. */
    static long integer(ByteBuf reply) throws ProtocolException {
        int at = reply.readerIndex();
        if (reply.getByte(at) != ':') {
            throw new ProtocolException("expected an integer, got " + text(reply));
        }
        int cr = RespSplitter.findCr(reply, at + 1, reply.writerIndex(), 24);
        return RespSplitter.parseDecimal(reply, at + 1, cr);
    }

    /** The payload of {@code $n}, or {@code null} for the nil bulk string; an error is a {@link ProtocolException}. */
    static ByteBuf bulk(ByteBuf reply) throws ProtocolException {
        return bulkAt(reply, reply.readerIndex(), new int[1]);
    }

    /** The bulk string at {@code at}; {@code end[0]} is set to where it ends. */
    private static ByteBuf bulkAt(ByteBuf reply, int at, int[] end) throws ProtocolException {
        if (reply.getByte(at) != '$') {
            throw new ProtocolException("expected a bulk string, got " + text(reply));
        }
        int cr = RespSplitter.findCr(reply, at + 1, reply.writerIndex(), 24);
        long length = RespSplitter.parseDecimal(reply, at + 1, cr);
        if (length < 0) {
            end[0] = cr + 2;
            return null;
        }
        end[0] = cr + 2 + (int) length + 2;
        return reply.slice(cr + 2, (int) length);
    }

    /** A SCAN reply {@code *2 [cursor, [key...]]}: adds the keys (slices) to {@code keys}, returns the next cursor. */
    static String scanReply(ByteBuf reply, List<ByteBuf> keys) throws ProtocolException {
        int at = reply.readerIndex();
        if (reply.getByte(at) != '*') {
            throw new ProtocolException("SCAN answered " + text(reply));
        }
        int[] end = new int[1];
        at = RespSplitter.findCr(reply, at, reply.writerIndex(), 24) + 2;
        ByteBuf cursor = bulkAt(reply, at, end);
        at = end[0];
        if (cursor == null || reply.getByte(at) != '*') {
            throw new ProtocolException("SCAN answered " + text(reply));
        }
        int cr = RespSplitter.findCr(reply, at + 1, reply.writerIndex(), 24);
        long count = RespSplitter.parseDecimal(reply, at + 1, cr);
        at = cr + 2;
        for (long i = 0; i < count; i++) {
            keys.add(bulkAt(reply, at, end));
            at = end[0];
        }
        return cursor.toString(StandardCharsets.US_ASCII);
    }

    /** {@code name key} as a request. */
    static ByteBuf command(String name, ByteBuf key) {
        ByteBuf out = Unpooled.buffer(key.readableBytes() + 32);
        RespWriter.arrayHeader(out, 2);
        RespWriter.bulk(out, name);
        RespWriter.bulk(out, key);
        return out;
    }

    static boolean startsWith(ByteBuf reply, String prefix) {
        return reply.readableBytes() >= prefix.length()
                && reply.toString(reply.readerIndex(), prefix.length(), StandardCharsets.US_ASCII).equals(prefix);
    }

    private static String text(ByteBuf reply) {
        String text = reply.toString(reply.readerIndex(), Math.min(reply.readableBytes(), 80), StandardCharsets.UTF_8);
        return text.trim();
    }
}
