package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;

/** How a {@link PinnedMode} opens the client's own connection: {@code open} for {@code first}, {@code null} when no cluster can take it now. */
interface PinnedOpener {
    ChannelFuture open(Command first, PinnedListener listener);

    /**
     * Whether a conversation's {@code command} sent on the connection opened reaches the node holding its keys
     * (not so on a sharded cluster's other nodes: such a command is refused rather than answered wrongly).
     */
    default boolean reaches(Command command) {
        return true;
    }

    /**
     * Where {@code reply}, from the connection opened last, says its command belongs (the pinned
     * cluster's {@link io.metacluster.spi.Topology#redirect}: Redis Cluster MOVED, ASK), or {@code null}.
     */
    default Topology.Redirect redirect(ByteBuf reply) {
        return null;
    }

    /** Whether the cluster opened last may redirect ({@link #redirect}): a conversation's first reply is awaited then. */
    default boolean redirects() {
        return false;
    }

    /** Opens again on the cluster opened last, to node {@code node} ({@link Topology#SPANS_NODES}: that of {@code first}'s key now). */
    default ChannelFuture reopen(Command first, int node, PinnedListener listener) {
        return null;
    }
}
