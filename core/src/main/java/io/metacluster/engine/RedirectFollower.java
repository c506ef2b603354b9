package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Follows a topology's redirections ({@link Topology#redirect}: Redis Cluster {@code MOVED} and
 * {@code ASK}, and {@code CLUSTERDOWN} or {@code TRYAGAIN} retried a little later) for one
 * request, so the client never sees them: an error reply that names another node sends the
 * request there again (a write as a write: kept for replay if that node cannot take it), at most
 * {@link #MAX_HOPS} times, or {@link #MAX_WAITS} times after a delay; any other reply, and the
 * last one past those bounds, goes to the request's listener.
 * Made per request, only for topologies that redirect.
 */
final class RedirectFollower implements ReplyListener {
    /** As redis-cli and cluster clients do: a map in flux settles within a few hops, a loop never does. */
    static final int MAX_HOPS = 5;
    /** Sends after a delay ({@link Topology.Redirect#delayMillis}): 100 ms steps cover a failover of several seconds. */
    static final int MAX_WAITS = 60;

    private final LoopCluster cluster;
    private final Command command;
    private final long clientId;
    private final ReplyListener listener;
    private final boolean write;
    private final Budget budget = new Budget();
    /** Where the request went last. */
    private int node;

    RedirectFollower(LoopCluster cluster, int node, Command command, long clientId, ReplyListener listener, boolean write) {
        this.cluster = cluster;
        this.node = node;
        this.command = command;
        this.clientId = clientId;
        this.listener = listener;
        this.write = write;
    }

    /**
     * For {@code write} replayed from {@code from}'s log through {@code through}: a redirection sends it to where it
     * belongs now, as a client's write (kept in that node's log if it cannot take it), and then any
     * outcome there tells {@code ack} the log is done with it. The follower holds a reference of its
     * own: a resend after a delay may outlive the log's, which an overflow drops.
     */
    static ReplyListener replaying(Node from, NodeConnection through, Command write, ReplyListener ack) {
        int node = from.index();
        LoopCluster cluster = from.cluster.perLoop[loopOf(from, through)];
        write.retain();
        RedirectFollower[] follower = new RedirectFollower[1];
        follower[0] = new RedirectFollower(cluster, node, write, 0, new ReplyListener() {
            @Override
            public void onReply(ByteBuf reply, boolean error) {
                write.release();
                ack.onReply(reply, error);
            }

            @Override
            public void onFailure(String reason) {
                write.release();
                if (follower[0].node != node) {
                    ack.onReply(Unpooled.EMPTY_BUFFER, true);
                } else {
                    ack.onFailure(reason);
                }
            }
        }, true);
        return follower[0];
    }

    /** The event loop index of {@code connection}, one of {@code node}'s. */
    private static int loopOf(Node node, NodeConnection connection) {
        for (int loop = 0; loop < node.connections.length; loop++) {
            for (NodeConnection[] lane : node.connections[loop]) {
                if (lane != null && java.util.Arrays.asList(lane).contains(connection)) {
                    return loop;
                }
            }
        }
        throw new IllegalStateException("connection " + connection + " is not one of node " + node + "'s");
    }

    @Override
    public boolean wantsReply() {
        // an error's bytes say where to go; whether the listener wants them is asked on the way out
        return true;
    }

    @Override
    public void onReply(ByteBuf reply, boolean error) {
        Topology.Redirect redirect = error ? cluster.topology().redirect(reply) : null;
        if (redirect != null && budget.allows(redirect)) {
            reply.release();
            cluster.cluster.metrics.redirects.inc();
            if (redirect.delayMillis() > 0) {
                cluster.later(redirect.delayMillis(), () -> resend(redirect));
            } else {
                resend(redirect);
            }
            return;
        }
        if (!listener.wantsReply()) {
            reply.release();
            reply = null;
        }
        listener.onReply(reply, error);
    }

    /**
     * How often one request may be sent again: {@link #MAX_HOPS} redirections in a row, and
     * {@link #MAX_WAITS} sends after a delay. Hops count from the last wait: a transaction caught by
     * a slot migration goes ASK, TRYAGAIN (the importing node lacks a key the source still holds),
     * ASK... until the migration ends, and only the waits bound that.
     */
    static final class Budget {
        private int hops;
        private int waits;

        /** Whether {@code redirect} may be followed; counts it when so. */
        boolean allows(Topology.Redirect redirect) {
            if (redirect.delayMillis() > 0) {
                hops = 0;
                return waits++ < MAX_WAITS;
            }
            return hops++ < MAX_HOPS;
        }
    }

    private void resend(Topology.Redirect redirect) {
        int to = redirect.node() != Topology.SPANS_NODES ? redirect.node() : cluster.topology().nodeFor(command);
        node = to != Topology.SPANS_NODES ? to : node;
        if (redirect.first() != null) {
            cluster.sendAfter(redirect.first(), node, command, clientId, this, write);
        } else {
            cluster.sendDirect(node, command, clientId, this, write);
        }
    }

    @Override
    public void onFailure(String reason) {
        listener.onFailure(reason);
    }
}
