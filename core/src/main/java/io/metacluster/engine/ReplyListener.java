package io.metacluster.engine;

import io.netty.buffer.ByteBuf;

/** Told what became of one request sent to a node. Called on the node connection's event loop. */
interface ReplyListener {
    /**
     * @param reply the reply, owned by the listener from now on
     * @param error whether the protocol says the reply reports a failure
     */
    void onReply(ByteBuf reply, boolean error);

    /** No reply will come: the node was down, the connection was lost or timed out. */
    void onFailure(String reason);
}
