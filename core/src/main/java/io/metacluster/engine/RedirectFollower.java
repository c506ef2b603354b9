package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;

/**
 * Follows a topology's redirections ({@link Topology#redirect}: Redis Cluster {@code MOVED} and
 * {@code ASK}) for one request, so the client never sees them: an error reply that names another
 * node sends the request there again (a write as a write: kept for replay if that node cannot
 * take it), at most {@link #MAX_HOPS} times; any other reply goes to the request's listener.
 * Made per request, only for topologies that redirect.
 */
final class RedirectFollower implements ReplyListener {
    /** As redis-cli and cluster clients do: a map in flux settles within a few hops, a loop never does. */
    static final int MAX_HOPS = 5;

    private final LoopCluster cluster;
    private final Command command;
    private final long clientId;
    private final ReplyListener listener;
    private final boolean write;
    private int hops;

    RedirectFollower(LoopCluster cluster, Command command, long clientId, ReplyListener listener, boolean write) {
        this.cluster = cluster;
        this.command = command;
        this.clientId = clientId;
        this.listener = listener;
        this.write = write;
    }

    @Override
    public boolean wantsReply() {
        // an error's bytes say where to go; whether the listener wants them is asked on the way out
        return true;
    }

    @Override
    public void onReply(ByteBuf reply, boolean error) {
        if (error && hops < MAX_HOPS) {
            Topology.Redirect redirect = cluster.topology().redirect(reply);
            if (redirect != null) {
                reply.release();
                hops++;
                cluster.cluster.metrics.redirects.inc();
                if (redirect.first() != null) {
                    cluster.sendAfter(redirect.first(), redirect.node(), command, clientId, this, write);
                } else {
                    cluster.sendDirect(redirect.node(), command, clientId, this, write);
                }
                return;
            }
        }
        if (!listener.wantsReply()) {
            reply.release();
            reply = null;
        }
        listener.onReply(reply, error);
    }

    @Override
    public void onFailure(String reason) {
        listener.onFailure(reason);
    }
}
