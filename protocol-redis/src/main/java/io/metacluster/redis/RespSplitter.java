package io.metacluster.redis;

import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Finds where one complete RESP2/RESP3 frame ends, without copying or consuming anything: the
 * one place where RESP framing is parsed (replies here; requests reuse {@link #findCr} and
 * {@link #parseDecimal}).
 *
 * <p>Handles every type: simple {@code + - : _ , # (}, blob {@code $ = !}, aggregates
 * {@code * ~ > %}, and attributes {@code |}, which belong to the frame of the reply that follows
 * them. Streamed types ({@code $?}, {@code *?}, ...) are refused. Blob payloads are skipped by
 * their length, never scanned. Nesting is tracked on an explicit stack bounded by
 * {@link #MAX_DEPTH}, so hostile input cannot overflow the Java stack.
 *
 * <p>Cost: a call that returns -1 remembers how far it got, and the next call on the same frame
 * resumes there, so a large reply arriving in many reads is parsed once overall (O(headers)).
 * That requires the caller's contract of {@link io.metacluster.spi.BackendCodec#replyLength}:
 * after -1, the next call sees the same frame at the reader index (plus more bytes).
 *
 * <p>One instance per connection; not thread-safe. The static {@link #lengthOf} is stateless.
 */
public final class RespSplitter {
    /**
     * Deepest aggregate nesting accepted. Real replies nest a handful of levels, but a Lua script
     * that returns a table holding itself gets 7,995 levels from Redis 7.0 before "reached lua
     * stack limit" (Redis's scripting.tcl checks it; Lua's C stack is 8,000 slots at most); the
     * count is iterative, so depth costs only a long per level.
     */
    public static final int MAX_DEPTH = 8_192;

    /** Longest length header: '-', 19 digits. */
    private static final int MAX_NUMBER_CHARS = 20;

    private final int maxDepth;
    /** Elements still missing in each open aggregate, innermost last. */
    private long[] pending = new long[8];
    private int depth;
    /** Where the last incomplete call stopped, relative to the frame start; 0 when starting afresh. */
    private int resumeOffset;

    public RespSplitter() {
        this(MAX_DEPTH);
    }

    RespSplitter(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    /** {@link #frameLength(ByteBuf, int)} at the reader index. */
    public int frameLength(ByteBuf in) throws ProtocolException {
        return frameLength(in, in.readerIndex());
    }

    /**
     * The length of the complete frame starting at {@code start}, or -1 when more bytes are
     * needed. Reads {@code in} up to its writer index; changes no index.
     *
     * @throws ProtocolException when the bytes cannot be RESP
     */
    public int frameLength(ByteBuf in, int start) throws ProtocolException {
        int end = in.writerIndex();
        int pos;
        if (resumeOffset > 0 && resumeOffset <= end - start) {
            pos = start + resumeOffset;
        } else {
            depth = 0;
            pos = start;
        }
        try {
            while (true) {
                if (pos >= end) {
                    return incomplete(pos - start);
                }
                byte type = in.getByte(pos);
                int next;
                switch (type) {
                    case '+', '-', ':', '_', ',', '#', '(' -> {
                        int cr = findCr(in, pos + 1, end, Integer.MAX_VALUE);
                        if (cr < 0 || cr + 1 >= end) {
                            return incomplete(pos - start);
                        }
                        requireLf(in, cr);
                        next = cr + 2;
                    }
                    case '$', '=', '!' -> {
                        int cr = lengthLine(in, pos, end);
                        if (cr < 0) {
                            return incomplete(pos - start);
                        }
                        long length = number(in, pos, cr);
                        if (length == -1 && type == '$') {
                            next = cr + 2; // RESP2 null bulk string
                        } else {
                            if (length < 0 || length > Integer.MAX_VALUE - 64) {
                                throw new ProtocolException("Protocol error: invalid blob length in reply");
                            }
                            long after = cr + 2 + length + 2;
                            if (after > end) {
                                return incomplete(pos - start);
                            }
                            next = (int) after;
                            if (in.getByte(next - 2) != '\r' || in.getByte(next - 1) != '\n') {
                                throw new ProtocolException("Protocol error: blob string not terminated by CRLF");
                            }
                        }
                    }
                    case '*', '~', '>', '%', '|' -> {
                        int cr = lengthLine(in, pos, end);
                        if (cr < 0) {
                            return incomplete(pos - start);
                        }
                        long count = number(in, pos, cr);
                        next = cr + 2;
                        if (count == -1 && type == '*') {
                            break; // RESP2 null array: a complete element
                        }
                        if (count < 0 || count > Integer.MAX_VALUE) {
                            throw new ProtocolException("Protocol error: invalid aggregate length in reply");
                        }
                        // maps hold key-value pairs; an attribute's pairs are followed by the reply
                        // it describes, so it opens a pseudo-aggregate that closes after that reply
                        long children = type == '%' ? 2 * count : type == '|' ? 2 * count + 1 : count;
                        if (children > 0) {
                            push(children);
                            pos = next;
                            continue;
                        }
                    }
                    default -> throw new ProtocolException("Protocol error: invalid reply type byte " + describe(type));
                }
                pos = next;
                if (elementDone()) {
                    resumeOffset = 0;
                    return pos - start;
                }
            }
        } catch (ProtocolException e) {
            resumeOffset = 0;
            depth = 0;
            throw e;
        }
    }

    /** Stateless: the length of the complete frame at {@code start}, or -1. */
    public static int lengthOf(ByteBuf in, int start) throws ProtocolException {
        return new RespSplitter().frameLength(in, start);
    }

    private int incomplete(int offset) {
        resumeOffset = offset;
        return -1;
    }

    private void push(long children) throws ProtocolException {
        if (depth == maxDepth) {
            throw new ProtocolException("Protocol error: reply nested deeper than " + maxDepth + " levels");
        }
        if (depth == pending.length) {
            pending = java.util.Arrays.copyOf(pending, Math.min(maxDepth, depth * 2));
        }
        pending[depth++] = children;
    }

    /** One element finished: closes every aggregate it completes. True when the whole frame is done. */
    private boolean elementDone() {
        while (depth > 0) {
            if (--pending[depth - 1] > 0) {
                return false;
            }
            depth--;
        }
        return true;
    }

    /** The CR of a length header at {@code pos}, or -1 when incomplete; refuses streamed lengths. */
    private static int lengthLine(ByteBuf in, int pos, int end) throws ProtocolException {
        if (pos + 1 < end && in.getByte(pos + 1) == '?') {
            throw new ProtocolException("Protocol error: streamed RESP3 types are not supported (" + (char) in.getByte(pos) + "?)");
        }
        int cr = findCr(in, pos + 1, end, MAX_NUMBER_CHARS + 1);
        if (cr == -2) {
            throw new ProtocolException("Protocol error: invalid length in reply header");
        }
        if (cr < 0 || cr + 1 >= end) {
            return -1;
        }
        requireLf(in, cr);
        return cr;
    }

    private static long number(ByteBuf in, int pos, int cr) throws ProtocolException {
        long n = parseDecimal(in, pos + 1, cr);
        if (n == Long.MIN_VALUE) {
            throw new ProtocolException("Protocol error: invalid length in reply header");
        }
        return n;
    }

    private static void requireLf(ByteBuf in, int cr) throws ProtocolException {
        if (in.getByte(cr + 1) != '\n') {
            throw new ProtocolException("Protocol error: CR not followed by LF");
        }
    }

    /**
     * The index of the first CR in {@code [from, end)}, looking at most {@code maxScan} bytes:
     * -1 when none is there yet, -2 when none is within {@code maxScan} bytes.
     */
    static int findCr(ByteBuf in, int from, int end, int maxScan) {
        int limit = (int) Math.min(end, (long) from + maxScan);
        int cr = limit > from ? in.indexOf(from, limit, (byte) '\r') : -1;
        if (cr >= 0) {
            return cr;
        }
        return limit < end ? -2 : -1;
    }

    /**
     * The decimal in {@code [from, to)} with Redis's strictness (optional '-', no '+', no
     * leading zeros, no spaces, fits a long), or {@link Long#MIN_VALUE} when it is not one.
     */
    static long parseDecimal(ByteBuf in, int from, int to) {
        int length = to - from;
        if (length <= 0 || length > MAX_NUMBER_CHARS) {
            return Long.MIN_VALUE;
        }
        int i = from;
        boolean negative = in.getByte(i) == '-';
        if (negative) {
            i++;
        }
        if (i == to) {
            return Long.MIN_VALUE;
        }
        if (in.getByte(i) == '0') {
            return i + 1 == to && !negative ? 0 : Long.MIN_VALUE;
        }
        long value = 0;
        for (; i < to; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return Long.MIN_VALUE;
            }
            if (value > (Long.MAX_VALUE - d) / 10) {
                return Long.MIN_VALUE; // overflow; -2^63 is not worth supporting
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }

    static String describe(byte b) {
        return b >= 0x21 && b < 0x7f ? "'" + (char) b + "'" : String.format("0x%02x", b & 0xff);
    }
}
