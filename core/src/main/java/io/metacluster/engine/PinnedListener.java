package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * Told what happens on a backend connection of one client's own ({@link PinnedConnection}): the
 * backend layer's whole view of the client that owns it. Called on that connection's event loop,
 * which is the client's.
 */
interface PinnedListener {
    /** The connection said its hello and takes traffic. */
    void pinnedReady(Channel channel);

    /** One complete message from the node, owned by the listener from now on. */
    void pinnedMessage(Channel channel, ByteBuf message);

    /** The connection closed, or could not be opened. */
    void pinnedClosed(Channel channel);

    /** The owning client, for log lines. */
    String client();
}
