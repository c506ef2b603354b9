package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Decodes the text protocol and the meta commands (both are lines, optionally followed by a
 * length-prefixed data block), as memcached 1.6's protocol.txt defines them.
 *
 * <p>Frames are retained slices of the input. Values are never scanned: a data block is taken by
 * the length its command line announces and must end in CRLF. Requests whose {@code noreply} or
 * meta {@code q} must be stripped get a new small header buffer; their data block stays a slice.
 *
 * <p>Where memcached's answer to a malformed request would lose the framing (it then parses the
 * value as commands), the proxy keeps the stream safe instead:
 * <ul>
 *   <li>a storage command whose value length cannot be read ends the connection
 *       ({@link ProtocolException}): no value is ever interpreted as a command;</li>
 *   <li>a storage command refused for its key or numbers has its announced value swallowed,
 *       as memcached does for an oversized value.</li>
 * </ul>
 *
 * <p>Base64 keys (meta flag {@code b}) are routed by their encoded text: routing only needs the
 * same bytes for the same key, which holds as long as a client names a key always encoded or
 * always plain. A key in both forms can land on two nodes of a sharded cluster.
 *
 * <p>Confined to the client connection's event loop.
 */
final class TextRequestDecoder extends RequestDecoder {
    static final int MAX_KEY_LENGTH = 250;
    /** The base64 text of a 250-byte key. */
    static final int MAX_BASE64_KEY_LENGTH = 4 * ((MAX_KEY_LENGTH + 2) / 3);

    static final String ERROR = "ERROR";
    static final String BAD_FORMAT = "CLIENT_ERROR bad command line format";
    static final String BAD_DATA_CHUNK = "CLIENT_ERROR bad data chunk";
    static final String BAD_EXPTIME = "CLIENT_ERROR invalid exptime argument";
    static final String BAD_DELTA = "CLIENT_ERROR invalid numeric delta argument";
    static final String BAD_DELETE = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
    static final String TOO_MANY_KEYS = "CLIENT_ERROR too many keys";
    static final String LINE_TOO_LONG = "CLIENT_ERROR line too long";
    static final String TOO_LARGE = "SERVER_ERROR object too large for cache";

    /** Where a token is not stripped. */
    private static final int KEEP_ALL = -1;
    /** Where a command has no data block. */
    private static final long NO_DATA = -1;

    private final ClientLimits limits;
    private final TextLine line = new TextLine();

    TextRequestDecoder(ClientLimits limits) {
        this.limits = limits;
    }

    @Override
    boolean binary() {
        return false;
    }

    @Override
    protected Command decodeFrame(ByteBuf in) throws ProtocolException {
        if (!line.read(in, limits.maxInlineBytes(), LINE_TOO_LONG)) {
            return null;
        }
        if (line.count() == 0) {
            return refuse(in, "unknown", ERROR, Quiet.NONE, 0);
        }
        // command names are case-sensitive and short: "GET" is an unknown command to memcached
        String name = line.length(0) <= 9 ? line.text(0) : "";
        return switch (name) {
            case "get", "gets" -> retrieval(in, name, 1);
            case "gat", "gats" -> gat(in, name);
            case "set", "add", "replace", "append", "prepend" -> storage(in, name, 5);
            case "cas" -> storage(in, name, 6);
            case "incr", "decr" -> arithmetic(in, name);
            case "delete" -> delete(in);
            case "touch" -> touch(in);
            case "flush_all" -> flushAll(in);
            case "verbosity" -> verbosity(in);
            case "version", "quit", "stats", "mn" -> admin(in, name, Quiet.NONE);
            case "mg", "md", "ma", "me" -> meta(in, name, false);
            case "ms" -> meta(in, name, true);
            default -> refuse(in, "unknown", ERROR, Quiet.NONE, 0);
        };
    }

    /** {@code get <key>*}, {@code gets <key>*}; {@code gat(s) <exptime> <key>*} from {@code firstKey} 2. */
    private Command retrieval(ByteBuf in, String name, int firstKey) {
        int keys = line.count() - firstKey;
        if (keys < 1) {
            return refuse(in, name, ERROR, Quiet.NONE, 0);
        }
        if (keys > limits.maxElements()) {
            return refuse(in, name, TOO_MANY_KEYS, Quiet.NONE, 0);
        }
        int[] ranges = new int[2 * keys];
        for (int k = 0; k < keys; k++) {
            int token = firstKey + k;
            if (!validKey(token, MAX_KEY_LENGTH)) {
                return refuse(in, name, BAD_FORMAT, Quiet.NONE, 0);
            }
            ranges[2 * k] = line.start(token);
            ranges[2 * k + 1] = line.length(token);
        }
        return forward(in, name, CommandKind.READ, ranges, Request.VALUES, KEEP_ALL, NO_DATA);
    }

    private Command gat(ByteBuf in, String name) {
        if (line.count() < 3) {
            return refuse(in, name, ERROR, Quiet.NONE, 0);
        }
        if (!line.isInt(1)) {
            return refuse(in, name, BAD_EXPTIME, Quiet.NONE, 0);
        }
        return retrieval(in, name, 2);
    }

    /**
     * {@code <cmd> <key> <flags> <exptime> <bytes> [noreply]}, and for {@code cas}
     * {@code <cas unique>} before {@code noreply}; {@code tokens} counts the mandatory ones.
     * A further token other than {@code noreply} is ignored, as memcached ignores it.
     */
    private Command storage(ByteBuf in, String name, int tokens) throws ProtocolException {
        int count = line.count();
        if (count != tokens && count != tokens + 1) {
            throw new ProtocolException(ERROR);
        }
        long bytes = line.unsigned(4);
        if (bytes < 0) {
            throw new ProtocolException(BAD_FORMAT);
        }
        boolean noreply = count == tokens + 1 && line.is(tokens, "noreply");
        Quiet quiet = noreply ? Quiet.NOREPLY : Quiet.NONE;
        if (tooLarge(bytes)) {
            return refuse(in, name, TOO_LARGE, quiet, bytes + 2);
        }
        boolean valid = validKey(1, MAX_KEY_LENGTH) && line.isUnsigned64(2) && line.isInt(3)
                && (tokens == 5 || line.isUnsigned64(5));
        if (!valid) {
            return refuse(in, name, BAD_FORMAT, quiet, bytes + 2);
        }
        CommandKind kind = name.equals("cas") ? CommandKind.CONDITIONAL_WRITE : CommandKind.WRITE;
        return withData(in, name, kind, Request.text(ReplyShape.LINE, quiet), noreply ? tokens : KEEP_ALL, bytes, quiet);
    }

    /** {@code incr|decr <key> <delta> [noreply]}. */
    private Command arithmetic(ByteBuf in, String name) {
        int count = line.count();
        if (count != 3 && count != 4) {
            return refuse(in, name, ERROR, Quiet.NONE, 0);
        }
        boolean noreply = count == 4 && line.is(3, "noreply");
        Quiet quiet = noreply ? Quiet.NOREPLY : Quiet.NONE;
        if (!validKey(1, MAX_KEY_LENGTH)) {
            return refuse(in, name, BAD_FORMAT, quiet, 0);
        }
        if (!line.isUnsigned64(2)) {
            return refuse(in, name, BAD_DELTA, quiet, 0);
        }
        return writeLine(in, name, keyRange(), noreply ? 3 : KEEP_ALL);
    }

    /** {@code delete <key> [0] [noreply]}: the legacy hold time must be 0. */
    private Command delete(ByteBuf in) {
        int count = line.count();
        if (count < 2 || count > 4) {
            return refuse(in, "delete", ERROR, Quiet.NONE, 0);
        }
        boolean noreply = count > 2 && line.is(count - 1, "noreply");
        Quiet quiet = noreply ? Quiet.NOREPLY : Quiet.NONE;
        boolean holdIsZero = count > 2 && line.is(2, "0");
        boolean valid = count == 2 || (count == 3 && (holdIsZero || noreply)) || (holdIsZero && noreply);
        if (!valid) {
            return refuse(in, "delete", BAD_DELETE, quiet, 0);
        }
        if (!validKey(1, MAX_KEY_LENGTH)) {
            return refuse(in, "delete", BAD_FORMAT, quiet, 0);
        }
        return writeLine(in, "delete", keyRange(), noreply ? count - 1 : KEEP_ALL);
    }

    /** {@code touch <key> <exptime> [noreply]}. */
    private Command touch(ByteBuf in) {
        int count = line.count();
        if (count != 3 && count != 4) {
            return refuse(in, "touch", ERROR, Quiet.NONE, 0);
        }
        boolean noreply = count == 4 && line.is(3, "noreply");
        Quiet quiet = noreply ? Quiet.NOREPLY : Quiet.NONE;
        if (!validKey(1, MAX_KEY_LENGTH)) {
            return refuse(in, "touch", BAD_FORMAT, quiet, 0);
        }
        if (!line.isInt(2)) {
            return refuse(in, "touch", BAD_EXPTIME, quiet, 0);
        }
        return writeLine(in, "touch", keyRange(), noreply ? 3 : KEEP_ALL);
    }

    /** {@code flush_all [delay] [noreply]}. */
    private Command flushAll(ByteBuf in) {
        int count = line.count();
        if (count > 3) {
            return refuse(in, "flush_all", ERROR, Quiet.NONE, 0);
        }
        boolean noreply = count > 1 && line.is(count - 1, "noreply");
        Quiet quiet = noreply ? Quiet.NOREPLY : Quiet.NONE;
        boolean hasDelay = count == 3 || (count == 2 && !noreply);
        if (hasDelay && !line.isInt(1)) {
            return refuse(in, "flush_all", BAD_EXPTIME, quiet, 0);
        }
        return writeLine(in, "flush_all", null, noreply ? count - 1 : KEEP_ALL);
    }

    /** {@code verbosity <level> [noreply]}: answered by the proxy, which has no verbosity to set. */
    private Command verbosity(ByteBuf in) {
        int count = line.count();
        if (count != 2 && count != 3) {
            return refuse(in, "verbosity", ERROR, Quiet.NONE, 0);
        }
        return admin(in, "verbosity", line.is(count - 1, "noreply") ? Quiet.NOREPLY : Quiet.NONE);
    }

    /**
     * {@code mg|md|ma|me <key> <flag>*}, {@code ms <key> <datalen> <flag>*} and a data block.
     * Flags pass through; {@code q} is stripped and its effect applied by {@link Quiet}; a
     * compared cas ({@code C<unique>}) makes a write conditional.
     */
    private Command meta(ByteBuf in, String name, boolean withData) throws ProtocolException {
        int count = line.count();
        if (withData && (count < 3 || line.unsigned(2) < 0)) {
            throw new ProtocolException(BAD_FORMAT);
        }
        if (count < 2) {
            return refuse(in, name, ERROR, Quiet.NONE, 0);
        }
        int firstFlag = withData ? 3 : 2;
        int quietFlag = KEEP_ALL;
        boolean base64 = false;
        boolean compareCas = false;
        for (int t = firstFlag; t < count; t++) {
            if (line.is(t, "b")) {
                base64 = true;
            } else if (line.byteAt(line.start(t)) == 'C') {
                compareCas = true;
            } else if (line.is(t, "q") && quietFlag == KEEP_ALL && !name.equals("me")) {
                quietFlag = t;
            }
        }
        Quiet quiet = quietFlag == KEEP_ALL ? Quiet.NONE : switch (name) {
            case "mg" -> Quiet.META_MISS;
            case "ma" -> Quiet.META_ARITHMETIC;
            default -> Quiet.META_SUCCESS;
        };
        long bytes = withData ? line.unsigned(2) : 0;
        long swallow = withData ? bytes + 2 : 0;
        if (withData && tooLarge(bytes)) {
            return refuse(in, name, TOO_LARGE, quiet, swallow);
        }
        if (!validKey(1, base64 ? MAX_BASE64_KEY_LENGTH : MAX_KEY_LENGTH)) {
            return refuse(in, name, BAD_FORMAT, quiet, swallow);
        }
        CommandKind kind = name.equals("mg") || name.equals("me") ? CommandKind.READ
                : compareCas ? CommandKind.CONDITIONAL_WRITE : CommandKind.WRITE;
        Request request = Request.text(name.equals("me") ? ReplyShape.LINE : ReplyShape.META, quiet);
        if (withData) {
            return withData(in, name, kind, request, quietFlag, bytes, quiet);
        }
        return forward(in, name, kind, keyRange(), request, quietFlag, NO_DATA);
    }

    private Command admin(ByteBuf in, String name, Quiet quiet) {
        return forward(in, name, CommandKind.ADMIN, null, Request.text(ReplyShape.LINE, quiet), KEEP_ALL, NO_DATA);
    }

    /** A write answered by one line, without a data block. */
    private Command writeLine(ByteBuf in, String name, int[] keys, int strip) {
        Quiet quiet = strip == KEEP_ALL ? Quiet.NONE : Quiet.NOREPLY;
        return forward(in, name, CommandKind.WRITE, keys, Request.text(ReplyShape.LINE, quiet), strip, NO_DATA);
    }

    /** A command with a data block of {@code bytes}: waits for all of it, then checks its CRLF. */
    private Command withData(ByteBuf in, String name, CommandKind kind, Request request, int strip, long bytes, Quiet quiet) {
        long total = line.frameLength() + bytes + 2;
        if (in.readableBytes() < total) {
            return null;
        }
        int end = in.readerIndex() + line.frameLength() + (int) bytes;
        if (in.getByte(end) != '\r' || in.getByte(end + 1) != '\n') {
            // memcached reads exactly <bytes>+2 and refuses them; so does the proxy, then goes on
            return refuse(in, name, BAD_DATA_CHUNK, quiet, bytes + 2);
        }
        return forward(in, name, kind, keyRange(), request, strip, bytes);
    }

    /**
     * Consumes the line (and data block) and makes the command. With {@code strip} set, the
     * frame is a new header without that token followed by a retained slice of the data block;
     * keys come before any stripped token, so their offsets hold in both forms.
     */
    private Command forward(ByteBuf in, String name, CommandKind kind, int[] keys, Request request, int strip, long dataBytes) {
        int from = in.readerIndex();
        int lineBytes = line.frameLength();
        int dataBlock = dataBytes == NO_DATA ? 0 : (int) dataBytes + 2;
        ByteBuf frame;
        if (strip == KEEP_ALL) {
            frame = in.retainedSlice(from, lineBytes + dataBlock);
        } else {
            int cut = line.end(strip - 1);
            int resume = line.end(strip);
            int tail = line.contentLength() - resume;
            ByteBuf header = in.alloc().buffer(cut + tail + 2);
            header.writeBytes(in, from, cut).writeBytes(in, from + resume, tail).writeByte('\r').writeByte('\n');
            frame = dataBlock == 0 ? header
                    : in.alloc().compositeBuffer(2).addComponents(true, header, in.retainedSlice(from + lineBytes, dataBlock));
        }
        in.skipBytes(lineBytes + dataBlock);
        return Command.of(frame, name, kind, keys, request);
    }

    /** Consumes the line; the next {@code swallow} bytes (a refused value and its CRLF) are dropped. */
    private Command refuse(ByteBuf in, String name, String reason, Quiet quiet, long swallow) {
        ByteBuf frame = in.retainedSlice(in.readerIndex(), line.frameLength());
        in.skipBytes(line.frameLength());
        discardNext(swallow);
        return Command.unsupported(frame, name, reason, Request.text(ReplyShape.LINE, quiet));
    }

    /** Over the item size, or too big for one frame whatever the configured size. */
    private boolean tooLarge(long bytes) {
        return bytes > limits.maxFrameBytes() || bytes > Integer.MAX_VALUE - 2L - line.frameLength();
    }

    private int[] keyRange() {
        return new int[] {line.start(1), line.length(1)};
    }

    /** memcached's key rule: 1 to {@code max} bytes, no control characters (spaces split tokens already). */
    private boolean validKey(int token, int max) {
        int length = line.length(token);
        if (length == 0 || length > max) {
            return false;
        }
        for (int k = line.start(token), end = line.end(token); k < end; k++) {
            byte b = line.byteAt(k);
            if ((b >= 0 && b < 0x20) || b == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
