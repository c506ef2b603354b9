package io.metacluster.redis;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Writes RESP: the one place that encodes it, for requests the proxy makes (inline commands
 * re-encoded, parts of a split command, the backend handshake, verification's repairs), always
 * RESP2, and for the replies it gives itself, in the client's version where RESP3 differs (the
 * methods taking {@code resp3}). Reading RESP is {@link RespSplitter}'s job.
 *
 * <p>Stateless. The methods that take a buffer append to it at its writer index; those that take
 * an allocator return a new buffer, owned by the caller.
 */
final class RespWriter {
    /** Error codes Redis puts first in an error reply; other messages get {@code ERR}. */
    private static final Set<String> ERROR_CODES = Set.of("ERR", "WRONGTYPE", "NOAUTH", "NOPROTO", "NOPERM", "NOSCRIPT",
            "BUSY", "BUSYKEY", "BUSYGROUP", "LOADING", "READONLY", "MASTERDOWN", "MISCONF", "EXECABORT", "OOM",
            "NOREPLICAS", "UNBLOCKED", "WRONGPASS", "CROSSSLOT", "MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN",
            "NOGOODSLAVE", "NOTBUSY", "NOGROUP", "UNKILLABLE");

    private static final byte[] TXT = "txt:".getBytes(StandardCharsets.US_ASCII);

    private RespWriter() {
    }

    /** A request: an array of bulk strings, each argument in UTF-8. */
    static ByteBuf command(ByteBufAllocator alloc, String... args) {
        ByteBuf out = alloc.buffer(64);
        arrayHeader(out, args.length);
        for (String arg : args) {
            bulk(out, arg.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** {@code *count\r\n}: an array of {@code count} elements follows. */
    static void arrayHeader(ByteBuf out, long count) {
        line(out, '*', count);
    }

    /** {@code $length\r\n}: {@code length} bytes and CRLF follow ({@code -1}: the nil bulk string, complete). */
    static void bulkHeader(ByteBuf out, long length) {
        line(out, '$', length);
    }

    /** A map of {@code count} pairs: {@code %count} in RESP3, an array of twice as many elements in RESP2. */
    static void mapHeader(ByteBuf out, long count, boolean resp3) {
        if (resp3) {
            line(out, '%', count);
        } else {
            arrayHeader(out, 2 * count);
        }
    }

    /** The nil reply: {@code _} in RESP3, the nil bulk string in RESP2. */
    static ByteBuf nil(ByteBufAllocator alloc, boolean resp3) {
        ByteBuf out = alloc.buffer(5);
        if (resp3) {
            out.writeByte('_');
            crlf(out);
        } else {
            bulkHeader(out, -1);
        }
        return out;
    }

    /** Text for humans: a verbatim string of format {@code txt} in RESP3, a bulk string in RESP2. */
    static ByteBuf verbatim(ByteBufAllocator alloc, String text, boolean resp3) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (!resp3) {
            return bulk(alloc, bytes);
        }
        ByteBuf out = alloc.buffer(bytes.length + 20);
        line(out, '=', bytes.length + 4L);
        out.writeBytes(TXT).writeBytes(bytes);
        crlf(out);
        return out;
    }

    /** {@code :n\r\n}. */
    static void integer(ByteBuf out, long n) {
        line(out, ':', n);
    }

    /**
     * A bulk string of {@code length} bytes of {@code src} from {@code index} (no index of
     * {@code src} moves).
     *
     * @return where its payload starts in {@code out}, as a writer index
     */
    static int bulk(ByteBuf out, ByteBuf src, int index, int length) {
        bulkHeader(out, length);
        int payload = out.writerIndex();
        out.writeBytes(src, index, length);
        crlf(out);
        return payload;
    }

    /** A bulk string of {@code value}'s readable bytes; returns where its payload starts in {@code out}. */
    static int bulk(ByteBuf out, ByteBuf value) {
        return bulk(out, value, value.readerIndex(), value.readableBytes());
    }

    /** A bulk string of {@code value}; returns where its payload starts in {@code out}. */
    static int bulk(ByteBuf out, byte[] value) {
        bulkHeader(out, value.length);
        int payload = out.writerIndex();
        out.writeBytes(value);
        crlf(out);
        return payload;
    }

    /** A bulk string of {@code value} in UTF-8. */
    static void bulk(ByteBuf out, String value) {
        bulk(out, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A bulk string reply: a new buffer holding {@code value}. */
    static ByteBuf bulk(ByteBufAllocator alloc, byte[] value) {
        ByteBuf out = alloc.buffer(value.length + 16);
        bulk(out, value);
        return out;
    }

    /** A simple string reply, {@code +text\r\n}; {@code text} is ASCII without CR or LF. */
    static ByteBuf simple(ByteBufAllocator alloc, String text) {
        ByteBuf out = alloc.buffer(text.length() + 3);
        out.writeByte('+').writeCharSequence(text, StandardCharsets.US_ASCII);
        crlf(out);
        return out;
    }

    /**
     * An error reply, as Redis words it: {@code -CODE message} when {@code message} starts with
     * one of Redis's error codes, else {@code -ERR message}. CR and LF in {@code message} become
     * spaces, so that the reply stays one line whatever the message quotes from the client. One
     * byte per char (ISO-8859-1): what a message quotes of a request is that request's bytes
     * ({@link RequestArgs#text}).
     */
    static ByteBuf error(ByteBufAllocator alloc, String message) {
        String text = message.replace('\r', ' ').replace('\n', ' ');
        int space = text.indexOf(' ');
        String code = space < 0 ? text : text.substring(0, space);
        byte[] bytes = (ERROR_CODES.contains(code) ? "-" + text + "\r\n" : "-ERR " + text + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    static void crlf(ByteBuf out) {
        out.writeShort(0x0d0a);
    }

    private static void line(ByteBuf out, char type, long n) {
        out.writeByte(type).writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
        crlf(out);
    }
}
