package io.metacluster.engine;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A cluster as one event loop sees it. Only that loop's threads route through it, so no
 * cross-thread hand-off. Keys go to their node by the cluster's {@link Cluster#routing}, which
 * leaves out the nodes ejected with {@code on-node-down: eject}. A request that is not a write
 * and whose node cannot serve reads now (down, catching up, being resynchronised) fails at once,
 * so that a read goes to another cluster while the cluster's other nodes still serve theirs
 * ({@code on-node-down: failover-cluster}).
 */
final class LoopCluster implements ClusterView {
    /** {@link #readerOf}: no node may serve the read here (only replicas may, and none is up). */
    static final int NO_READER = -2;
    final Cluster cluster;
    private final int loop;

    LoopCluster(Cluster cluster, int loop) {
        this.cluster = cluster;
        this.loop = loop;
    }

    @Override
    public String name() {
        return cluster.name();
    }

    @Override
    public boolean local() {
        return cluster.config().local();
    }

    /**
     * Whether some node of the cluster serves reads from this loop: for one node, that it does;
     * a sharded cluster still serves the keys of its other nodes while one is down (see the class).
     */
    @Override
    public boolean healthy() {
        Cluster.Layout layout = cluster.layout();
        for (int i = 0; i < layout.nodes().length; i++) {
            // a node without keys (a Redis Cluster replica, a master replaced by failover) does not count
            if (layout.topology().serves(i) && servesReads(layout.nodes()[i])) {
                return true;
            }
        }
        return false;
    }

    /** Whether every node of the cluster serves reads from this loop: the cluster as a whole is healthy. */
    boolean whole() {
        Cluster.Layout layout = cluster.layout();
        for (int i = 0; i < layout.nodes().length; i++) {
            if (layout.topology().serves(i) && !servesReads(layout.nodes()[i])) {
                return false;
            }
        }
        return true;
    }

    private boolean servesReads(Node node) {
        return node.servesReads() && readyConnection(node.connections[loop][0], 0) != null;
    }

    @Override
    public long latencyNanos() {
        return cluster.latencyNanos;
    }

    /** Sends a request that is not a client's write (a read, a verification) to the node that holds its keys. */
    void send(Command command, long clientId, ReplyListener listener) {
        route(command, clientId, listener, false, null);
    }

    /**
     * Sends a client's read ({@code write} false) or write; one whose keys are on several nodes
     * is split by {@code codec} into one part per node where the protocol can
     * ({@link io.metacluster.spi.CommandSplitter#part}), the replies joined.
     */
    void request(Command command, long clientId, ReplyListener listener, ClientCodec codec, boolean write) {
        route(command, clientId, listener, write, codec);
    }

    /** Sends {@code command}, a part of a split request, to node {@code node}; a write the node misses is kept for replay. */
    void sendTo(int node, Command command, long clientId, ReplyListener listener, boolean write) {
        if (cluster.topology().redirects()) {
            listener = new RedirectFollower(this, node, command, clientId, listener, write);
        }
        sendDirect(node, command, clientId, listener, write);
    }

    /**
     * Where a client's request for the keys of node {@code node} goes: for a plain read, one of the
     * node's {@link Topology#readers} that serves reads from this loop (picked by client, so a
     * client keeps reading one replica while it is up), else the node itself unless the topology
     * says only readers may read ({@link #NO_READER}); anything else, {@code node}.
     */
    int readerOf(int node, Command command, long clientId, boolean write) {
        Topology.Readers readers;
        if (write || command.kind() != CommandKind.READ || node < 0
                || (readers = cluster.layout().routing().readers(node)) == null) {
            return node;
        }
        int[] candidates = readers.nodes();
        Node[] nodes = cluster.nodes();
        for (int i = 0; i < candidates.length; i++) {
            int candidate = candidates[(int) Math.floorMod(clientId + i, (long) candidates.length)];
            if (candidate < nodes.length && servesReads(nodes[candidate])) {
                return candidate;
            }
        }
        return readers.orOwner() ? node : NO_READER;
    }

    /** {@link #sendTo} without following redirections: the listener does that, or need not. */
    void sendDirect(int node, Command command, long clientId, ReplyListener listener, boolean write) {
        if (node == NO_READER) {
            listener.onFailure("no replica that may serve this read in cluster " + name() + " is up");
            return;
        }
        Node[] nodes = cluster.nodes();
        if (node >= nodes.length) {
            // the split was computed over the nodes before a config reload removed some
            listener.onFailure("cluster " + name() + " changed its nodes while the request was being split");
            return;
        }
        send(nodes[node], command, clientId, listener, write);
    }

    private void send(Node node, Command command, long clientId, ReplyListener listener, boolean write) {
        if (!write && !node.servesReads()) {
            // a node catching up must not be read, nor written to out of its replay order
            listener.onFailure("node " + node.address + " of cluster " + name()
                    + (node.isUp() ? " is catching up" : " is down"));
            return;
        }
        NodeConnection connection = connection(node, command.lane(), clientId);
        if (write) {
            connection.write(command, listener);
        } else {
            connection.send(command, listener);
        }
    }

    /**
     * Sends a read to every node in the ring (an ejected one holds nothing it should report),
     * whatever its keys (a server report, see {@link io.metacluster.spi.ServerReports}); {@code join}
     * makes the answer from the replies, in node order.
     */
    void askEveryNode(Command command, long clientId, ReplyListener listener, Function<ByteBuf[], ByteBuf> join) {
        Cluster.Layout layout = cluster.layout();
        int[] members = layout.members();
        NodeGather gather = new NodeGather(members.length, listener, join, () -> { });
        for (int i = 0; i < members.length; i++) {
            send(layout.nodes()[members[i]], command, clientId, gather.member(i), false);
        }
    }

    int nodeOfKey(Command command, int key) {
        return cluster.layout().routing().nodeOfKey(command, key);
    }

    int groupOfKey(Command command, int key) {
        return cluster.layout().routing().groupOfKey(command, key);
    }

    Topology topology() {
        return cluster.topology();
    }

    /** Runs {@code task} on this loop after {@code millis}. */
    void later(long millis, Runnable task) {
        cluster.nodes()[0].connections[loop][0][0].loop().schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Sends {@code first} (Redis {@code ASKING}; its reply ignored), then {@code command}, on one
     * connection to node {@code node}, so that nothing comes between them.
     */
    void sendAfter(byte[] first, int node, Command command, long clientId, ReplyListener listener, boolean write) {
        NodeConnection connection = connection(cluster.nodes()[node], command.lane(), clientId);
        Command prefix = Command.of(Unpooled.wrappedBuffer(first), "prefix", CommandKind.READ, null, null, command.lane());
        connection.send(prefix, ReplyListener.releasing(prefix));
        if (write) {
            connection.write(command, listener);
        } else {
            connection.send(command, listener);
        }
    }

    int nodeCount() {
        return cluster.nodes().length;
    }

    /** Sends a client's write (kept for replay if its node cannot take it; see {@link NodeConnection#write}). */
    void write(Command command, long clientId, ReplyListener listener) {
        route(command, clientId, listener, true, null);
    }

    /** To the node of the command's keys; a command over several nodes split by {@code splitter}, when given and able. */
    private void route(Command command, long clientId, ReplyListener listener, boolean write, ClientCodec splitter) {
        if (write) {
            cluster.handOverMissedWrites(this);
        }
        Cluster.Layout layout = cluster.layout();
        Node[] nodes = layout.nodes();
        int node = layout.routing().nodeFor(command);
        ByteBuf refusal;
        if (node != Topology.SPANS_NODES) {
            // the engine's own reads (splitter null: verification) compare owners, not replicas
            sendTo(splitter == null ? node : readerOf(node, command, clientId, write), command, clientId, listener, write);
        } else if (splitter != null && command.keyCount() > 1 && command.kind() != CommandKind.CONDITIONAL_WRITE
                && SplitRequest.send(command, this, splitter, clientId, listener, write)) {
            return;
        } else if (write && command.keyCount() == 0 && nodes.length > 1) {
            // FLUSHALL, flush_all, SCRIPT LOAD: every node must apply it, or the shards diverge;
            // a node that cannot take it now keeps it in its replay log, as for any write it misses;
            // an ejected node keeps nothing and is flushed before it rejoins; a node without keys
            // (a Redis Cluster replica) takes no write
            int[] members = layout.members();
            Topology topology = layout.topology();
            int serving = 0;
            for (int member : members) {
                serving += topology.serves(member) ? 1 : 0;
            }
            if (serving == 0) {
                listener.onFailure("cluster " + name() + " has no node that holds keys now");
                return;
            }
            NodeGather gather = new NodeGather(serving, listener, LoopCluster::firstReply, () -> { });
            for (int i = 0, part = 0; i < members.length; i++) {
                if (topology.serves(members[i])) {
                    connection(nodes[members[i]], command.lane(), clientId).write(command, gather.member(part++));
                }
            }
        } else if (command.keyCount() > 1 && (refusal = layout.topology().refusal(command)) != null) {
            listener.onReply(refusal, true);
        } else {
            listener.onFailure("cluster " + name() + " has " + nodes.length + " nodes and " + command.name()
                    + (command.keyCount() == 0 ? " has no key to pick one by" : "'s keys are on different ones"));
        }
    }

    /**
     * Opens a connection of client {@code clientId}'s own for {@code command} ({@link io.metacluster.spi.CommandKind#PINNED})
     * to the node that holds its key, or the first node holding keys when it has none or several (channel
     * names are not keys; a PUBLISH reaches every node); {@code listener} hears of what comes back.
     */
    ChannelFuture connectPinned(Command command, long clientId, PinnedListener listener) {
        return connectPinned(command, Topology.SPANS_NODES, clientId, listener);
    }

    /** {@link #connectPinned} to node {@code node}, or ({@link Topology#SPANS_NODES}) to the node it would pick now. */
    ChannelFuture connectPinned(Command command, int node, long clientId, PinnedListener listener) {
        Node[] nodes = cluster.nodes();
        if (node >= nodes.length) {
            return null;
        }
        NodeConnection through = connection(node == Topology.SPANS_NODES ? pinnedNode(command) : nodes[node],
                command.lane(), clientId);
        return through.connectOwn(codec -> new PinnedConnection(listener, codec, through.connectTimeoutMs()));
    }

    /** Whether the node {@link #connectPinned} would pick for {@code command} serves reads from this loop. */
    boolean canPin(Command command) {
        return servesReads(pinnedNode(command));
    }

    /**
     * Whether {@code command}, sent on a connection that {@link #connectPinned} opened to node {@code pinned},
     * reaches the node holding its keys: a sharded cluster's other nodes hold other keys (a keyless command is
     * that node's own). A one-node cluster's connection reaches its keys, also when a reload replaced the node.
     */
    boolean pinnedReaches(Node pinned, Command command) {
        Cluster.Layout layout = cluster.layout();
        if (command.keyCount() == 0 || layout.nodes().length == 1) {
            return true;
        }
        int node = layout.routing().nodeFor(command);
        return node != Topology.SPANS_NODES && layout.nodes()[node] == pinned;
    }

    /** The node of the command's key, or the first node in the ring holding keys when it has none or several. */
    Node pinnedNode(Command command) {
        Cluster.Layout layout = cluster.layout();
        int node = layout.routing().nodeFor(command);
        if (node == Topology.SPANS_NODES) {
            node = layout.members()[0];
            for (int member : layout.members()) {
                if (layout.topology().serves(member)) {
                    node = member;
                    break;
                }
            }
        }
        return layout.nodes()[node];
    }

    /**
     * Opens a connection of its own to node {@code node} that sends {@code command}
     * ({@link io.metacluster.spi.CommandKind#ASIDE}) after the hello and tells {@code listener} its reply.
     * Lane 0: the command does not depend on the database or protocol version, and lane 0 is always set up.
     */
    ChannelFuture connectAside(Node node, Command command, AsideConnection.Listener listener) {
        NodeConnection through = connection(node, 0, 0);
        return through.connectOwn(codec -> new AsideConnection(command, listener, codec,
                through.connectTimeoutMs() + through.requestTimeoutMs()));
    }

    /** The answer to a keyless write every node applied: the first node's reply. */
    private static ByteBuf firstReply(ByteBuf[] replies) {
        for (int i = 1; i < replies.length; i++) {
            replies[i].release();
        }
        return replies[0];
    }

    /**
     * The connection to node {@code node} that carries lane {@code lane} for client
     * {@code clientId}. A client always gets the same connection per node while it is up, which
     * keeps its writes in order.
     */
    private NodeConnection connection(Node node, int lane, long clientId) {
        NodeConnection[] candidates = node.connections[loop][lane];
        if (candidates.length == 1) {
            return candidates[0];
        }
        NodeConnection ready = readyConnection(candidates, (int) (clientId % candidates.length));
        return ready != null ? ready : candidates[0];
    }

    private static NodeConnection readyConnection(NodeConnection[] candidates, int first) {
        for (int i = 0; i < candidates.length; i++) {
            NodeConnection connection = candidates[(first + i) % candidates.length];
            if (connection.isReady()) {
                return connection;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name();
    }
}
