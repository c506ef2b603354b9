package io.metacluster.redis;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The arguments of the request just framed, the command name first: where each lies in the
 * frame, as (offset from the frame's start, length) pairs. Filled by the parsers, read by the
 * {@link CommandClassifier} and the {@link KeyFinder}; reused for every request of a
 * connection, so valid only until the next one is framed. Confined to the connection's event loop.
 */
final class RequestArgs {
    private int[] pairs = new int[32];
    private int count;

    /** Records argument {@code i}. */
    void set(int i, int offset, int length) {
        if (2 * i + 2 > pairs.length) {
            pairs = Arrays.copyOf(pairs, pairs.length * 2);
        }
        pairs[2 * i] = offset;
        pairs[2 * i + 1] = length;
    }

    /** The request has {@code count} arguments, each {@link #set} already. */
    void count(int count) {
        this.count = count;
    }

    int count() {
        return count;
    }

    int offset(int i) {
        return pairs[2 * i];
    }

    int length(int i) {
        return pairs[2 * i + 1];
    }

    /** The (offset, length) pairs, for {@link KeyFinder}; only the first {@link #count()} pairs are this request's. */
    int[] pairs() {
        return pairs;
    }

    /**
     * Argument {@code i} of {@code frame} as Redis quotes it in an error message: up to its first
     * NUL (Redis formats it as a C string), one char per byte (ISO-8859-1), so that
     * {@link RespWriter#error} writes the client's bytes back as they came.
     */
    String text(ByteBuf frame, int i) {
        int from = frame.readerIndex() + offset(i);
        int nul = frame.indexOf(from, from + length(i), (byte) 0);
        return frame.toString(from, (nul < 0 ? from + length(i) : nul) - from, StandardCharsets.ISO_8859_1);
    }

    /** Whether argument {@code i} of {@code frame} is {@code upper} (upper-case ASCII), ignoring case. */
    boolean is(ByteBuf frame, int i, String upper) {
        return KeyFinder.argEquals(frame, pairs, i, upper);
    }
}
