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
 * <p><b>One reply per forwarded request.</b> Backend connections are shared and their replies
 * matched first-in first-out, so a forwarded request that memcached answered twice (it refused
 * the line and ran the value as a command) or not at all (a quiet flag the proxy missed) would
 * hand every later reply on that connection to the wrong request, another client's included.
 * So what is forwarded is what memcached 1.6.18 answers exactly once, by its own parsing rules
 * ({@code proto_text.c}): lines are tokenized as memcached does, up to a NUL ({@link TextLine});
 * every quiet token is stripped ({@code noreply}, any meta flag starting with {@code q}); and what
 * memcached refuses without reading the value is refused here, never forwarded (see {@link #meta}).
 * Lines memcached would drop the connection for (over {@value #SERVER_MAX_LINE} bytes) are refused too.
 *
 * <p>A malformed request gets memcached's own answer and recovery. A storage command refused
 * for its token count, key, numbers or value length is answered with memcached's error, and its
 * data line is then decoded as the next command, exactly as memcached reads it (it answers
 * {@code ERROR} to most). The proxy parses that line itself, so nothing it has not framed reaches
 * a shared backend connection. A value over the item size, or one whose CRLF is missing, is
 * swallowed by its announced length, as memcached swallows it.
 *
 * <p>Base64 keys (meta flag {@code b}) are routed by their encoded text: routing only needs the
 * same bytes for the same key, which holds as long as a client names a key always encoded or
 * always plain. A key in both forms can land on two nodes of a sharded cluster.
 *
 * <p>Confined to the client connection's event loop.
 */
final class TextRequestDecoder extends RequestDecoder {
    /** The longest key token, base64 text ({@code b}) included: memcached checks the token before decoding it. */
    static final int MAX_KEY_LENGTH = 250;
    /**
     * memcached's {@code MFLAG_MAX_OPT_LENGTH}: a meta line of this many tokens (command, key,
     * {@code ms} length and flags) or more is refused before its flags, and an {@code ms} value, are read.
     */
    static final int MAX_META_TOKENS = 20;
    /** The first byte of every meta flag memcached 1.6.18 knows ({@code _meta_flag_preparse}); any other is refused. */
    static final String META_FLAGS = "bNTRlOPLkstcfvhuqFCMJDI";
    /**
     * The longest line memcached waits for: when more than this many bytes of a line other than
     * {@code get}/{@code gets} arrived without its LF, it closes the connection, which the proxy
     * shares between clients. Longer forwarded lines are refused.
     */
    static final int SERVER_MAX_LINE = 2048;
    /** memcached ignores leading spaces, up to this many on a long {@code get} line. */
    private static final int SERVER_MAX_LEADING_SPACES = 100;

    static final String ERROR = "ERROR";
    static final String BAD_FORMAT = "CLIENT_ERROR bad command line format";
    static final String BAD_DATA_CHUNK = "CLIENT_ERROR bad data chunk";
    static final String BAD_EXPTIME = "CLIENT_ERROR invalid exptime argument";
    static final String BAD_DELTA = "CLIENT_ERROR invalid numeric delta argument";
    static final String BAD_DELETE = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
    static final String TOO_MANY_KEYS = "CLIENT_ERROR too many keys";
    static final String LINE_TOO_LONG = "CLIENT_ERROR line too long";
    static final String TOO_LARGE = "SERVER_ERROR object too large for cache";
    static final String TOO_MANY_FLAGS = "CLIENT_ERROR options flags too long";
    static final String MG_TOO_MANY_FLAGS = "CLIENT_ERROR options flags are too long";
    static final String DUPLICATE_FLAG = "CLIENT_ERROR duplicate flag";
    static final String INVALID_FLAG = "CLIENT_ERROR invalid flag";
    /** What md and ma answer for either. */
    static final String BAD_FLAG = "CLIENT_ERROR invalid or duplicate flag";

    /** Where a token is not stripped. */
    private static final int KEEP_ALL = -1;
    /** Where a command has no data block. */
    private static final long NO_DATA = -1;

    private final TextLine line = new TextLine(true);

    TextRequestDecoder(ClientLimits limits) {
        super(limits);
    }

    @Override
    boolean binary() {
        return false;
    }

    @Override
    protected Command decodeFrame(ByteBuf in) throws ProtocolException {
        int maxLine = TextLine.isMultiGet(in, SERVER_MAX_LEADING_SPACES) ? (int) Math.min(limits.maxFrameBytes(), Integer.MAX_VALUE - 2) : limits.maxInlineBytes();
        if (!line.read(in, maxLine, LINE_TOO_LONG)) {
            return null;
        }
        if (line.count() == 0) {
            return refuse(in, "unknown", ERROR, Quiet.NONE, 0);
        }
        String name = commandName();
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
            case "version", "quit", "mn" -> admin(in, name, Quiet.NONE);
            case "stats" -> forward(in, name, CommandKind.READ, null, Request.STATS, KEEP_ALL, NO_DATA);
            case "mg", "md", "ma", "me" -> meta(in, name, false);
            case "ms" -> meta(in, name, true);
            default -> refuse(in, "unknown", ERROR, Quiet.NONE, 0);
        };
    }

    /** Every command this decoder knows, most used first. */
    private static final String[] NAMES = {"get", "set", "mg", "ms", "gets", "delete", "md", "incr", "decr", "add",
        "replace", "append", "prepend", "cas", "touch", "gat", "gats", "ma", "me", "mn", "version", "quit", "stats",
        "flush_all", "verbosity"};

    /**
     * The first token as one of {@link #NAMES}, or "" for any other: compared as bytes, so that
     * no string is made per request. Names are case-sensitive: "GET" is an unknown command to memcached.
     */
    private String commandName() {
        for (String name : NAMES) {
            if (line.is(0, name)) {
                return name;
            }
        }
        return "";
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
        for (int k = 0; k < keys; k++) {
            if (!validKey(firstKey + k, MAX_KEY_LENGTH)) {
                return refuse(in, name, BAD_FORMAT, Quiet.NONE, 0);
            }
        }
        if (keys == 1 && firstKey == 1) {
            return forward(in, name, CommandKind.READ, KEY_TOKEN, Request.VALUES, KEEP_ALL, NO_DATA);
        }
        int[] ranges = new int[2 * keys];
        for (int k = 0; k < keys; k++) {
            ranges[2 * k] = line.start(firstKey + k);
            ranges[2 * k + 1] = line.length(firstKey + k);
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
    private Command storage(ByteBuf in, String name, int tokens) {
        int count = line.count();
        if (count != tokens && count != tokens + 1) {
            return refuse(in, name, ERROR, Quiet.NONE, 0);
        }
        boolean noreply = count == tokens + 1 && line.is(tokens, "noreply");
        Quiet quiet = noreply ? Quiet.NOREPLY : Quiet.NONE;
        int bytes = line.valueLength(4);
        boolean valid = bytes >= 0 && validKey(1, MAX_KEY_LENGTH) && line.isUnsigned64(2) && line.isInt(3)
                && (tokens == 5 || line.isUnsigned64(5));
        if (!valid) {
            return refuse(in, name, BAD_FORMAT, quiet, 0);
        }
        if (tooLarge(bytes)) {
            return refuseTooLarge(in, name, quiet, bytes + 2, false);
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
     * {@code mg|md|ma <key> <flag>*}, {@code ms <key> <datalen> <flag>*} and a data block, and
     * {@code me <key>}. Flags pass through, checked first as memcached 1.6.18 checks them
     * ({@code proto_text.c}, {@code _meta_flag_preparse}): a line of {@value #MAX_META_TOKENS}
     * tokens or more, a key token over 250 bytes (base64 or not), a flag whose first byte repeats
     * another's, is not ASCII or names no flag is refused here, never forwarded. The other flag
     * errors (a bad number after {@code T}, an unknown mode, ...) are memcached's to answer: one
     * error line, its value swallowed. memcached reads only a flag's first byte, so every token
     * starting with {@code q} ({@code q0}, {@code q-1}) is the quiet flag; that one token is
     * stripped and its effect applied by {@link Quiet}. A compared cas ({@code C<unique>}) makes a
     * write conditional.
     *
     * <p>A refused {@code ms} has its value swallowed where memcached swallows it (a flag it
     * refuses while parsing flags), and read as the next command where memcached reads it so
     * (a long key, too many tokens, a bad length).
     */
    private Command meta(ByteBuf in, String name, boolean withData) {
        int count = line.count();
        if (count < 2) {
            return refuse(in, name, name.equals("me") ? BAD_FORMAT : ERROR, Quiet.NONE, 0);
        }
        // until its flags are read, memcached refuses an ms without reading its value, which it
        // then reads as a command: so does the proxy (a refusal swallows nothing before the flags)
        if (withData && (count < 3 || line.valueLength(2) < 0)) {
            return refuse(in, name, BAD_FORMAT, Quiet.NONE, 0);
        }
        long bytes = withData ? line.valueLength(2) : 0;
        long swallow = withData ? bytes + 2 : 0;
        // memcached checks the key token's length before it decodes a base64 key or reads an ms value length
        if (!validKey(1, MAX_KEY_LENGTH)) {
            return refuse(in, name, BAD_FORMAT, Quiet.NONE, 0);
        }
        if (name.equals("me")) { // a debug command: memcached looks at no flag but a "b" right after the key
            return forward(in, name, CommandKind.READ, keyRange(), Request.LINE, KEEP_ALL, NO_DATA);
        }
        if (count >= MAX_META_TOKENS) {
            return refuse(in, name, name.equals("mg") ? MG_TOO_MANY_FLAGS : TOO_MANY_FLAGS, Quiet.NONE, 0);
        }
        int firstFlag = withData ? 3 : 2;
        int quietFlag = KEEP_ALL;
        boolean compareCas = false;
        // an mg that creates the item on a miss (N) or sets its TTL (T) writes: every cluster must do it
        boolean changesItem = false;
        boolean base64 = false;
        long seenBelow64 = 0;
        long seenFrom64 = 0;
        for (int t = firstFlag; t < count; t++) {
            int flag = line.byteAt(line.start(t)) & 0xff;
            long bit = 1L << (flag & 63);
            boolean seen = flag >= 127 || ((flag < 64 ? seenBelow64 : seenFrom64) & bit) != 0;
            if (seen || META_FLAGS.indexOf(flag) < 0) {
                String reason = name.equals("md") || name.equals("ma") ? BAD_FLAG : seen ? DUPLICATE_FLAG : INVALID_FLAG;
                return refuse(in, name, reason, Quiet.NONE, swallow);
            }
            if (flag < 64) {
                seenBelow64 |= bit;
            } else {
                seenFrom64 |= bit;
            }
            if (flag == 'q') {
                quietFlag = t;
            } else if (flag == 'C') {
                compareCas = true;
            } else if (flag == 'b') {
                base64 = true;
            } else if (flag == 'N' || flag == 'T') {
                changesItem = true;
            }
        }
        Quiet quiet = quietFlag == KEEP_ALL ? Quiet.NONE : switch (name) {
            case "mg" -> Quiet.META_MISS;
            case "ma" -> Quiet.META_ARITHMETIC;
            default -> Quiet.META_SUCCESS;
        };
        if (withData && tooLarge(bytes)) {
            return refuseTooLarge(in, name, quiet, swallow, base64);
        }
        CommandKind kind = name.equals("mg") && !changesItem ? CommandKind.READ
                : compareCas ? CommandKind.CONDITIONAL_WRITE : CommandKind.WRITE;
        Request request = Request.text(ReplyShape.META, quiet);
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
        if (tooLongForServer(name, strip)) {
            return refuse(in, name, LINE_TOO_LONG, quiet, bytes + 2);
        }
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
        if (tooLongForServer(name, strip)) {
            return refuse(in, name, LINE_TOO_LONG, request.quiet(), dataBlock);
        }
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
        if (keys == KEY_TOKEN) {
            return Command.of(frame, name, kind, line.start(1), line.length(1), request, MemcachedProtocol.TEXT_LANE);
        }
        return Command.of(frame, name, kind, keys, request, MemcachedProtocol.TEXT_LANE);
    }

    /**
     * Whether the line as forwarded ({@code strip} taken out) has more than
     * {@value #SERVER_MAX_LINE} bytes before its LF, and memcached would not wait for all of it:
     * it does for {@code get} and {@code gets} after at most 100 leading spaces.
     */
    private boolean tooLongForServer(String name, int strip) {
        int forwarded = strip == KEEP_ALL ? line.frameLength() - 1
                : line.end(strip - 1) + line.contentLength() - line.end(strip) + 1;
        if (forwarded <= SERVER_MAX_LINE) {
            return false;
        }
        return !(name.equals("get") || name.equals("gets")) || line.start(0) > SERVER_MAX_LEADING_SPACES;
    }

    /** Consumes the line; the next {@code swallow} bytes (a refused value and its CRLF) are dropped. */
    private Command refuse(ByteBuf in, String name, String reason, Quiet quiet, long swallow) {
        ByteBuf frame = in.retainedSlice(in.readerIndex(), line.frameLength());
        in.skipBytes(line.frameLength());
        discardNext(swallow);
        return Command.unsupported(frame, name, reason, Request.text(ReplyShape.LINE, quiet));
    }

    /** A store over the item size: refused, its value swallowed; a set or ms also unlinks the old value ({@link TooLarge}). */
    private Command refuseTooLarge(ByteBuf in, String name, Quiet quiet, long swallow, boolean base64) {
        if (!TooLarge.unlinksText(name)) {
            return refuse(in, name, TOO_LARGE, quiet, swallow);
        }
        ByteBuf key = in.slice(in.readerIndex() + line.start(1), line.length(1));
        Command delete = TooLarge.text(key, base64, quiet == Quiet.NOREPLY, in.alloc());
        in.skipBytes(line.frameLength());
        discardNext(swallow);
        return delete;
    }

    /** Over the item size, or too big for one frame whatever the configured size. */
    private boolean tooLarge(long bytes) {
        return bytes > maxValueBytes() || bytes > Integer.MAX_VALUE - 2L - line.frameLength();
    }

    /** The {@code keys} argument of {@link #forward} for "token 1 is the one key": the common case, without an array. */
    private static final int[] KEY_TOKEN = {};

    private int[] keyRange() {
        return KEY_TOKEN;
    }

    /**
     * memcached's key rule in the text protocol: 1 to {@code max} bytes. Any other byte is a key
     * byte, control characters included (memcached stores {@code a\x01b}): spaces and the line
     * end already split tokens, the same way here as in memcached, so such keys cannot move a frame.
     */
    private boolean validKey(int token, int max) {
        int length = line.length(token);
        return length > 0 && length <= max;
    }
}
