package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;

/** Told what became of one request sent to a node. Called on the node connection's event loop. */
interface ReplyListener {
    /**
     * @param reply the reply, owned by the listener from now on
     * @param error whether the protocol says the reply reports a failure
     */
    void onReply(ByteBuf reply, boolean error);

    /**
     * Whether {@link #onReply} needs the reply's bytes. When not, it gets {@code null} (and the
     * error flag): a fan-out already decided only counts the replies of the other clusters, and
     * not slicing those saves a derived buffer each. Asked just before {@link #onReply}.
     */
    default boolean wantsReply() {
        return true;
    }

    /** No reply will come: the node was down, the connection was lost or timed out. */
    void onFailure(String reason);

    /**
     * For a request the engine sent on its own (ASKING, a handed-over write): its reply is not
     * needed; releases {@code command} once answered.
     */
    static ReplyListener releasing(Command command) {
        return new ReplyListener() {
            @Override
            public boolean wantsReply() {
                return false;
            }

            @Override
            public void onReply(ByteBuf reply, boolean error) {
                ReferenceCountUtil.release(reply);
                command.release();
            }

            @Override
            public void onFailure(String reason) {
                command.release();
            }
        };
    }
}
