package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientPeer;
import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProxyReport;
import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.List;

/**
 * What a client's forwarded request sees of its client: the listener's clusters as the client's
 * event loop sees them, the read selector (its choice mapped back to the engine's cluster), the
 * protocol's codec, and where its reply goes. One per client connection, on its event loop.
 */
final class RequestContext implements PinnedOpener {
    private final Listener listener;
    private final ClientCodec codec;
    private final long id;
    private final EventLoop loop;
    private final ChannelHandlerContext ctx;
    private final ReplyQueue replies;
    private final Parking parking;
    private final RequestPool pool;
    /** The cluster of the client's last pinned connection: a conversation's effects go to every other one. */
    private LoopCluster pinnedTo;
    /** The node of the client's last pinned connection. */
    private Node pinnedNode;

    /** A client's pinned connection as another client may act on it (Redis CLIENT UNBLOCK): its node, its number there. */
    record PinnedBackend(Node node, long identity) {
    }

    RequestContext(Listener listener, ClientCodec codec, long id, ChannelHandlerContext ctx,
                   ReplyQueue replies, Parking parking, RequestPool pool) {
        this.listener = listener;
        this.codec = codec;
        this.id = id;
        this.loop = ctx.channel().eventLoop();
        this.ctx = ctx;
        this.replies = replies;
        this.parking = parking;
        this.pool = pool;
    }

    /** The client's number, which also keeps its writes on one connection per node. */
    long id() {
        return id;
    }

    ClientCodec codec() {
        return codec;
    }

    /** Whether a read that misses is tried once more on another cluster ({@code miss-failover}). */
    boolean missFailover() {
        return listener.config().missFailover();
    }

    ListenerMetrics metrics() {
        return listener.metrics();
    }

    /** Hears of every read served, for background verification. */
    ReadVerifier verifier() {
        return listener.verifier();
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    /**
     * The listener's clusters, in configuration order, as this client's event loop sees them now:
     * a request that needs them more than once keeps what it got (a config reload may change them).
     */
    List<LoopCluster> clusters() {
        return listener.clustersOf(loop);
    }

    /**
     * The cluster the listener's read selector picks for {@code command} among {@code candidates}
     * (some of {@link #clusters()}), or {@code null} when none can serve it.
     */
    LoopCluster select(Command command, List<LoopCluster> candidates) {
        ClusterView chosen = listener.selector().select(command, candidates);
        return chosen == null ? null : candidates.get(indexOf(candidates, chosen));
    }

    /** Where {@code cluster} stands in {@code clusters}: how a selector's choice maps back to the engine's cluster. */
    int indexOf(List<LoopCluster> clusters, ClusterView cluster) {
        for (int i = 0; i < clusters.size(); i++) {
            if (clusters.get(i) == cluster) {
                return i;
            }
        }
        throw new IllegalStateException("the read selector of listener " + listener.name() + " chose " + cluster
                + ", which is not one of its clusters");
    }

    /** The proxy's figures for a server report answered by {@code serving}. */
    ProxyReport report(LoopCluster serving) {
        return ProxyReports.of(listener, clusters(), serving);
    }

    /** Whether the client's connection closed: a read need not be sent any more. */
    boolean clientClosed() {
        return replies.isClosed();
    }

    /** Takes {@code request} in line for its reply, and starts it (once no conditional write holds it back). */
    void route(Slot request) {
        replies.add(request);
        parking.start(request);
    }

    /** {@code slot}'s reply (owned from now on), written in request order. */
    void answer(Slot slot, ByteBuf reply) {
        int bytes = reply == null ? 0 : reply.readableBytes();
        replies.answer(slot, reply);
        parking.answered(bytes);
    }

    /** A backend's reply for {@code slot}, as the protocol presents it to the client. */
    void answerFromBackend(Slot slot, Command command, ByteBuf reply) {
        answer(slot, codec.present(command, reply));
    }

    /** An error reply to {@code command}, in the client's protocol. */
    ByteBuf error(Command command, String message) {
        return codec.error(ctx.alloc(), command, message);
    }

    /** A conditional write was answered and its propagation sent: what waited behind it may go. */
    void conditionalDone() {
        parking.conditionalDone();
    }

    void reuse(ReadRequest read) {
        pool.reuse(read);
    }

    /**
     * Opens a backend connection of the client's own for {@code first}, to the cluster a read of it
     * would use; {@code null} when no cluster is up. See {@link PinnedMode}.
     */
    @Override
    public ChannelFuture open(Command first, PinnedListener listener) {
        List<LoopCluster> candidates = clusters();
        LoopCluster target = select(first, candidates);
        while (target != null && !target.canPin(first)) {
            // a sharded cluster serving reads, but not from the node this command would pin to
            candidates = new ArrayList<>(candidates);
            candidates.remove(target);
            target = select(first, candidates);
        }
        pinnedTo = target;
        pinnedNode = target == null ? null : target.pinnedNode(first);
        return target == null ? null : target.connectPinned(first, id, listener);
    }

    /** Whether {@code command} sent on the client's pinned connection reaches its keys' node. See {@link PinnedMode}. */
    @Override
    public boolean reaches(Command command) {
        return pinnedTo == null || pinnedTo.pinnedReaches(pinnedNode, command);
    }

    /** The client's pinned connection said its number on its node ({@code identity}, -1 once closed). */
    PinnedBackend pinnedBackend(long identity) {
        return identity < 0 || pinnedNode == null ? null : new PinnedBackend(pinnedNode, identity);
    }

    /** The client's event loop. */
    EventLoop loop() {
        return loop;
    }

    /** The listener's client connection {@code clientId}, on whichever event loop, or {@code null}. */
    ClientSession peer(long clientId) {
        for (ClientPeer peer : listener.clientPeers()) {
            if (peer.id() == clientId && peer instanceof ClientSession session) {
                return session;
            }
        }
        return null;
    }

    /** This loop's view of the cluster {@code node} belongs to, or {@code null} when the listener no longer has it. */
    LoopCluster clusterOf(Node node) {
        for (LoopCluster cluster : clusters()) {
            if (cluster.cluster == node.cluster) {
                return cluster;
            }
        }
        return null;
    }

    /** See {@link PinnedOpener#redirects}. */
    @Override
    public boolean redirects() {
        return pinnedTo != null && pinnedTo.topology().redirects();
    }

    /** See {@link PinnedOpener#redirect}: only error replies are asked about. */
    @Override
    public Topology.Redirect redirect(ByteBuf reply) {
        if (!redirects() || !reply.isReadable() || reply.getByte(reply.readerIndex()) != '-') {
            return null;
        }
        Topology.Redirect redirect = pinnedTo.topology().redirect(reply);
        if (redirect != null) {
            pinnedTo.cluster.metrics.redirects.inc();
        }
        return redirect;
    }

    /** See {@link PinnedOpener#reopen}: the connection now reaches that node. */
    @Override
    public ChannelFuture reopen(Command first, int node, PinnedListener listener) {
        if (pinnedTo == null) {
            return null;
        }
        Node[] nodes = pinnedTo.cluster.nodes();
        pinnedNode = node == Topology.SPANS_NODES ? pinnedTo.pinnedNode(first) : node < nodes.length ? nodes[node] : null;
        return pinnedTo.connectPinned(first, node, id, listener);
    }

    /**
     * A write that brings the other clusters to the state of the pinned one (owned from now on); one that
     * goes to the pinned cluster too goes there first ({@link Propagation#sendServerFirst}). {@code whenSent}
     * runs once it went out to every cluster. See {@link PinnedMode}.
     */
    void propagateFromPinned(Command write, Runnable whenSent) {
        if (codec.conditionalWrites().alsoToServer(write)) {
            Propagation.sendServerFirst(write, clusters(), pinnedTo, id, whenSent);
        } else {
            Propagation.send(write, clusters(), pinnedTo, id);
            whenSent.run();
        }
    }
}
