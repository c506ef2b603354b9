package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Parses a multibulk request ({@code *N\r\n$len\r\narg\r\n...}), the form every client library
 * sends, under the listener's {@link ClientLimits}, with Redis's own error wording (networking.c).
 *
 * <p>A partial request is parsed once: the next call resumes at the argument where the previous
 * one stopped, which relies on the caller passing the same request start again (the engine
 * consumes nothing after an incomplete result). Per connection; confined to its event loop.
 */
final class MultibulkParser {
    /** Redis's bounds for a client that has not authenticated yet (networking.c). */
    private static final int UNAUTHENTICATED_MAX_ARGS = 10;
    private static final int UNAUTHENTICATED_MAX_BULK = 16 * 1024;

    private final ClientLimits limits;
    /** The listener wants authentication and the client has not given it yet. */
    private boolean unauthenticated;
    /** Arguments of the multibulk being parsed, or -1 between requests. */
    private int argc = -1;
    private int parsedArgs;
    private int resumeOffset;

    MultibulkParser(ClientLimits limits) {
        this.limits = limits;
        this.unauthenticated = limits.authRequired();
    }

    /** The client authenticated: the listener's limits apply from now on. */
    void authenticated() {
        unauthenticated = false;
    }

    /**
     * Parses the multibulk at {@code start}, recording its arguments in {@code args}.
     *
     * @return its length; 0 when it was empty ({@code *0}, {@code *-1}: consumed, and ignored as
     *         Redis does); -1 when incomplete
     */
    int parse(ByteBuf in, int start, RequestArgs args) throws ProtocolException {
        int end = in.writerIndex();
        int pos;
        if (argc < 0) {
            int cr = RespSplitter.findCr(in, start + 1, end, limits.maxInlineBytes());
            if (cr == -2) {
                throw new ProtocolException("Protocol error: too big mbulk count string");
            }
            if (cr < 0 || cr + 1 >= end) {
                return -1;
            }
            requireLf(in, cr);
            long n = RespSplitter.parseDecimal(in, start + 1, cr);
            if (n == Long.MIN_VALUE || n > Integer.MAX_VALUE || n > limits.maxElements()) {
                throw new ProtocolException("Protocol error: invalid multibulk length");
            }
            if (n > UNAUTHENTICATED_MAX_ARGS && unauthenticated) {
                throw new ProtocolException("Protocol error: unauthenticated multibulk length");
            }
            if (n <= 0) {
                in.skipBytes(cr + 2 - start);
                return 0;
            }
            argc = (int) n;
            parsedArgs = 0;
            pos = cr + 2;
        } else {
            pos = start + resumeOffset;
        }
        while (parsedArgs < argc) {
            if (pos >= end) {
                resumeOffset = pos - start;
                return -1;
            }
            byte type = in.getByte(pos);
            if (type != '$') {
                throw new ProtocolException("Protocol error: expected '$', got '" + (char) (type & 0xff) + "'");
            }
            int cr = RespSplitter.findCr(in, pos + 1, end, limits.maxInlineBytes());
            if (cr == -2) {
                throw new ProtocolException("Protocol error: too big bulk count string");
            }
            if (cr < 0 || cr + 1 >= end) {
                resumeOffset = pos - start;
                return -1;
            }
            requireLf(in, cr);
            long length = RespSplitter.parseDecimal(in, pos + 1, cr);
            if (length < 0 || length > limits.maxFrameBytes() || length > Integer.MAX_VALUE - 64) {
                throw new ProtocolException("Protocol error: invalid bulk length");
            }
            if (length > UNAUTHENTICATED_MAX_BULK && unauthenticated) {
                throw new ProtocolException("Protocol error: unauthenticated bulk length");
            }
            long dataEnd = cr + 2 + length;
            if (dataEnd + 2 > end) {
                resumeOffset = pos - start;
                return -1;
            }
            if (in.getByte((int) dataEnd) != '\r' || in.getByte((int) dataEnd + 1) != '\n') {
                throw new ProtocolException("Protocol error: bulk string not terminated by CRLF");
            }
            args.set(parsedArgs++, cr + 2 - start, (int) length);
            pos = (int) dataEnd + 2;
        }
        args.count(argc);
        argc = -1;
        resumeOffset = 0;
        return pos - start;
    }

    /** Forgets a partly parsed request (after a protocol error: the connection is closing). */
    void reset() {
        argc = -1;
        resumeOffset = 0;
    }

    private static void requireLf(ByteBuf in, int cr) throws ProtocolException {
        if (in.getByte(cr + 1) != '\n') {
            throw new ProtocolException("Protocol error: CR not followed by LF");
        }
    }
}
