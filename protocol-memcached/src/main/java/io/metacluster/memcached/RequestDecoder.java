package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Splits one client connection's bytes into commands; the text and binary decoders extend it.
 *
 * <p>It owns the one piece of state both share: swallowing a refused value. memcached answers
 * an oversized value with an error and then reads and drops the value, so the stream goes on.
 * The refusal is returned as soon as its header is read; the value is then skipped as it
 * arrives, chunk by chunk, so the proxy never holds more of it than one read. This is the one
 * case where {@link #decode} consumes bytes and returns {@code null}.
 *
 * <p>Confined to the connection's event loop.
 */
abstract class RequestDecoder {
    /**
     * The largest value a client may send before it authenticated, on a listener that wants it
     * to: a SASL exchange needs a few hundred bytes, and a stranger must not make the proxy
     * buffer an item of {@code max-frame-bytes}. A larger one is refused and swallowed as it
     * arrives, as any oversized value.
     */
    static final int UNAUTHENTICATED_MAX_VALUE = 16 * 1024;

    protected final ClientLimits limits;
    private long discarding;
    private boolean unauthenticated;

    RequestDecoder(ClientLimits limits) {
        this.limits = limits;
        this.unauthenticated = limits.authRequired();
    }

    /** The client authenticated: values up to {@code max-frame-bytes} are taken from now on. */
    final void authenticated() {
        unauthenticated = false;
    }

    /** The largest value taken now. */
    protected final long maxValueBytes() {
        return unauthenticated ? Math.min(UNAUTHENTICATED_MAX_VALUE, limits.maxFrameBytes()) : limits.maxFrameBytes();
    }

    /** As {@link io.metacluster.spi.ClientCodec#decode}, after skipping what a refusal left to swallow. */
    final Command decode(ByteBuf in) throws ProtocolException {
        if (discarding > 0) {
            int skip = (int) Math.min(discarding, in.readableBytes());
            in.skipBytes(skip);
            discarding -= skip;
            if (discarding > 0) {
                return null;
            }
        }
        return in.isReadable() ? decodeFrame(in) : null;
    }

    /** The next {@code bytes} after the frame just consumed are dropped as they arrive. */
    protected final void discardNext(long bytes) {
        discarding = bytes;
    }

    /** Decodes one frame at the reader index of a non-empty {@code in}; contract of {@link #decode}. */
    protected abstract Command decodeFrame(ByteBuf in) throws ProtocolException;

    /** Whether this decoder speaks the binary protocol (errors before any command are rendered in it). */
    abstract boolean binary();
}
