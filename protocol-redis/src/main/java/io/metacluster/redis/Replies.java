package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;

/**
 * What a Redis backend's reply says beyond its bytes: a failure, or a missing key. The one home
 * of these rules: the backend codec (write policies count failures by {@link #isError}; a
 * handshake reply that is one fails the connection), verification (an error concludes nothing)
 * and the client codec (miss-failover asks {@link #isNil}) all read replies through them.
 *
 * <p>Replies are read at their reader index, up to their writer index, as the backend sent them
 * (for a forwarded transaction: from the {@code +OK} of its MULTI on); nothing is consumed or
 * retained. Stateless.
 */
final class Replies {
    private Replies() {
    }

    /**
     * Whether {@code reply} reports a failure rather than a result: an error ({@code -...}, RESP3
     * {@code !...}), or no reply at all (nothing to conclude from). For a forwarded transaction
     * only its EXEC reply counts: {@code -EXECABORT} is a failure (nothing was applied), while an
     * array holding error elements is a result (EXEC ran; the commands that failed are shown to
     * the client inside it, as Redis does), and so is a nil EXEC (a WATCHed key changed; WATCH is
     * refused by the proxy today).
     *
     * @param request what the reply answers, or {@code null} (a handshake, a repair's capture)
     */
    static boolean isError(Command request, ByteBuf reply) {
        int at = reply.readerIndex();
        if (request != null && request.detail() instanceof Transaction.Exec exec) {
            at += exec.execReplyOffset(reply);
        }
        if (at >= reply.writerIndex()) {
            return true;
        }
        byte type = reply.getByte(at);
        return type == '-' || type == '!';
    }

    /** A nil reply ({@code $-1}, {@code *-1}, RESP3 {@code _}): what GET and friends answer for a missing key. */
    static boolean isNil(ByteBuf reply) {
        int length = reply.readableBytes();
        int at = reply.readerIndex();
        byte type = length > 0 ? reply.getByte(at) : 0;
        return (length == 5 && (type == '$' || type == '*') && reply.getByte(at + 1) == '-' && reply.getByte(at + 2) == '1')
                || (length == 3 && type == '_');
    }
}
