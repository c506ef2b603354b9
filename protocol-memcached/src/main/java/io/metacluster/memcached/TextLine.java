package io.metacluster.memcached;

import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one tokenizer of memcached text lines (requests and replies): finds the line at a
 * buffer's reader index and splits it at spaces as memcached does (runs of spaces separate
 * tokens; a line ends at LF, with an optional CR before it). Nothing is copied: tokens are
 * offsets relative to the line start.
 *
 * <p>A request line is tokenized only up to its first NUL byte, if any: memcached reads the
 * command line as a C string, so whatever follows a NUL is not part of the command (a
 * {@code noreply} after it is not seen, one before it is). Bytes after the NUL still belong to
 * the line and its frame.
 *
 * <p>Reused for every line of one connection; confined to its event loop.
 */
final class TextLine {
    private final boolean request;
    private ByteBuf buf;
    private int base;
    private int contentLength;
    private int frameLength;
    private int count;
    private int[] starts = new int[8];
    private int[] ends = new int[8];

    /** A tokenizer of reply lines, which are split whole. */
    TextLine() {
        this(false);
    }

    /** @param request whether lines are requests, tokenized up to a NUL as memcached does */
    TextLine(boolean request) {
        this.request = request;
    }

    /** {@link #read(ByteBuf, int, int, String)} at the reader index. */
    boolean read(ByteBuf in, int maxLength, String tooLongMessage) throws ProtocolException {
        return read(in, in.readerIndex(), maxLength, tooLongMessage);
    }

    /**
     * Reads the line that starts at index {@code from} of {@code in} (nothing is consumed).
     *
     * @param maxLength longest line allowed, terminator excluded
     * @return false when the line is not complete yet
     * @throws ProtocolException with {@code tooLongMessage} when no line end comes within {@code maxLength} bytes
     */
    boolean read(ByteBuf in, int from, int maxLength, String tooLongMessage) throws ProtocolException {
        int readable = in.writerIndex() - from;
        int scan = (int) Math.min(readable, (long) maxLength + 2);
        int lf = in.forEachByte(from, scan, ByteProcessor.FIND_LF);
        if (lf < 0) {
            if (readable > maxLength + 1) {
                throw new ProtocolException(tooLongMessage);
            }
            return false;
        }
        buf = in;
        base = from;
        frameLength = lf - from + 1;
        contentLength = lf > from && in.getByte(lf - 1) == '\r' ? lf - from - 1 : lf - from;
        tokenize();
        return true;
    }

    private void tokenize() {
        count = 0;
        int limit = contentLength;
        if (request && contentLength > 0) {
            int nul = buf.indexOf(base, base + contentLength, (byte) 0);
            limit = nul < 0 ? contentLength : nul - base;
        }
        int i = 0;
        while (i < limit) {
            while (i < limit && buf.getByte(base + i) == ' ') {
                i++;
            }
            if (i == limit) {
                break;
            }
            int start = i;
            while (i < limit && buf.getByte(base + i) != ' ') {
                i++;
            }
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            starts[count] = start;
            ends[count] = i;
            count++;
        }
    }

    /** Bytes of the line including its terminator. */
    int frameLength() {
        return frameLength;
    }

    /** Bytes of the line without its terminator. */
    int contentLength() {
        return contentLength;
    }

    int count() {
        return count;
    }

    /** Offset of token {@code i} from the line start. */
    int start(int i) {
        return starts[i];
    }

    /** Offset just past token {@code i} from the line start. */
    int end(int i) {
        return ends[i];
    }

    int length(int i) {
        return ends[i] - starts[i];
    }

    /** Whether token {@code i} is exactly {@code ascii}. */
    boolean is(int i, String ascii) {
        if (length(i) != ascii.length()) {
            return false;
        }
        for (int k = 0; k < ascii.length(); k++) {
            if (buf.getByte(base + starts[i] + k) != ascii.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Token {@code i} as text; for command names and diagnostics, not for keys or values. */
    String text(int i) {
        return buf.toString(base + starts[i], length(i), StandardCharsets.US_ASCII);
    }

    /** The byte at {@code offset} from the line start. */
    byte byteAt(int offset) {
        return buf.getByte(base + offset);
    }

    /**
     * Token {@code i} as a decimal number of at least 0, or -1 when it is not one or does not fit
     * a {@code long}. A sign is allowed, as C's {@code strtol} allows it ({@code +5}, {@code -0}).
     */
    long unsigned(int i) {
        int at = base + starts[i];
        int end = base + ends[i];
        byte sign = at < end ? buf.getByte(at) : 0;
        if (sign == '+' || sign == '-') {
            at++;
        }
        if (at == end) {
            return -1;
        }
        long value = 0;
        for (; at < end; at++) {
            int digit = buf.getByte(at) - '0';
            if (digit < 0 || digit > 9 || value > (Long.MAX_VALUE - digit) / 10) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return sign == '-' && value != 0 ? -1 : value;
    }

    /**
     * Token {@code i} as the length of a value, or -1 when memcached refuses it as one: it reads a
     * length with {@code strtol} into 32 bits and refuses it below 0 or above
     * {@code INT_MAX - 2} (room for the CRLF).
     */
    int valueLength(int i) {
        long length = unsigned(i);
        return length > Integer.MAX_VALUE - 2L ? -1 : (int) length;
    }

    /** Whether token {@code i} is a decimal that fits in 64 unsigned bits (memcached's cas unique and incr delta). */
    boolean isUnsigned64(int i) {
        if (unsigned(i) >= 0) {
            return true;
        }
        String text = text(i);
        if (text.startsWith("+")) {
            text = text.substring(1);
        }
        return text.length() == MAX_UNSIGNED_64.length() && allDigits(text) && text.compareTo(MAX_UNSIGNED_64) <= 0;
    }

    /** Whether token {@code i} is a decimal, optionally signed, that fits an {@code int} (memcached's exptime). */
    boolean isInt(int i) {
        int at = base + starts[i];
        int end = base + ends[i];
        byte sign = at < end ? buf.getByte(at) : 0;
        if (sign == '+' || sign == '-') {
            at++;
        }
        if (at == end || end - at > 10) {
            return false;
        }
        long value = 0;
        for (; at < end; at++) {
            int digit = buf.getByte(at) - '0';
            if (digit < 0 || digit > 9) {
                return false;
            }
            value = value * 10 + digit;
        }
        return sign == '-' ? -value >= Integer.MIN_VALUE : value <= Integer.MAX_VALUE;
    }

    private static final String MAX_UNSIGNED_64 = "18446744073709551615";

    private static boolean allDigits(String text) {
        return text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** Whether {@code buf}'s readable bytes begin with {@code ascii}. */
    static boolean startsWith(ByteBuf buf, String ascii) {
        if (buf.readableBytes() < ascii.length()) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (buf.getByte(buf.readerIndex() + i) != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the line at {@code in}'s reader index is a {@code get} or {@code gets}, which memcached
     * reads whatever its length: a multi-get is bounded by its number of keys ({@code max-elements}),
     * and its line by {@code max-frame-bytes} like any request, not by {@code max-inline-bytes}.
     * memcached skips at most {@code maxLeadingSpaces} spaces before the name.
     */
    static boolean isMultiGet(ByteBuf in, int maxLeadingSpaces) {
        int at = in.readerIndex();
        int end = in.writerIndex();
        int spacesEnd = Math.min(end, at + maxLeadingSpaces + 1);
        while (at < spacesEnd && in.getByte(at) == ' ') {
            at++;
        }
        if (at + 4 > end || in.getByte(at) != 'g' || in.getByte(at + 1) != 'e' || in.getByte(at + 2) != 't') {
            return false;
        }
        byte next = in.getByte(at + 3);
        return next == ' ' || next == 's' && at + 4 < end && in.getByte(at + 4) == ' ';
    }
}
