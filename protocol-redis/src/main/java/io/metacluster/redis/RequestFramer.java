package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

/**
 * Splits a client's bytes into requests, dispatching on the grammar: a request that starts with
 * {@code *} is a multibulk ({@link MultibulkParser}), anything else an inline line
 * ({@link InlineParser}). A multibulk frame is a retained slice of the client's bytes (no copy).
 *
 * <p>Per connection; confined to its event loop; never blocks.
 */
final class RequestFramer {
    private final MultibulkParser multibulk;
    private final InlineParser inline;
    private final RequestArgs args = new RequestArgs();

    RequestFramer(ClientLimits limits) {
        this.multibulk = new MultibulkParser(limits);
        this.inline = new InlineParser(limits);
    }

    /**
     * The next complete request at {@code in}'s reader index, consumed: its frame, owned by the
     * caller, with its arguments in {@link #args()}; or {@code null} when none is complete yet
     * (blank lines and empty multibulks are consumed and skipped).
     */
    ByteBuf next(ByteBuf in) throws ProtocolException {
        try {
            while (in.isReadable()) {
                int start = in.readerIndex();
                if (in.getByte(start) == '*') {
                    int length = multibulk.parse(in, start, args);
                    if (length < 0) {
                        return null;
                    }
                    if (length == 0) {
                        continue;
                    }
                    ByteBuf frame = in.retainedSlice(start, length);
                    in.skipBytes(length);
                    return frame;
                }
                ByteBuf frame = inline.parse(in, start, args);
                if (frame != null || in.readerIndex() == start) {
                    return frame;
                }
                // a blank line was skipped; look at what follows
            }
            return null;
        } catch (ProtocolException e) {
            multibulk.reset();
            throw e;
        }
    }

    /** The client authenticated: it may send requests as large as the listener's limits allow. */
    void authenticated() {
        multibulk.authenticated();
    }

    /** The arguments of the request {@link #next} returned last. */
    RequestArgs args() {
        return args;
    }
}
