package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

/** Receives the outcome of a request a strategy sent through the engine. Called on an event loop; must not block. */
public interface ReplyHandler {
    /** The backend's reply. The handler owns it and must release it. */
    void onReply(ByteBuf reply);

    /** The request got no reply (cluster down, connection lost, timeout). */
    void onFailure(String reason);
}
