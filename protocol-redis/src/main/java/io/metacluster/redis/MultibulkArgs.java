package io.metacluster.redis;

import io.netty.buffer.ByteBuf;

/**
 * The arguments of a request frame that was framed once already (a {@code Command}'s frame, always
 * a multibulk: inline requests are re-encoded), read again where the request's own
 * {@link RequestArgs} are gone: when a reply comes and its effect is written ({@link Effects}).
 * Not on the path of ordinary requests.
 */
final class MultibulkArgs {
    private MultibulkArgs() {
    }

    /** (offset, length) of each argument, offsets from {@code frame}'s reader index. */
    static int[] of(ByteBuf frame) {
        int start = frame.readerIndex();
        int cr = frame.indexOf(start, frame.writerIndex(), (byte) '\r');
        int count = (int) RespSplitter.parseDecimal(frame, start + 1, cr);
        int[] pairs = new int[2 * count];
        int at = cr + 2;
        for (int i = 0; i < count; i++) {
            cr = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
            int length = (int) RespSplitter.parseDecimal(frame, at + 1, cr);
            pairs[2 * i] = cr + 2 - start;
            pairs[2 * i + 1] = length;
            at = cr + 2 + length + 2;
        }
        return pairs;
    }
}
