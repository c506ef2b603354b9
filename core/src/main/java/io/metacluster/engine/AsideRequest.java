package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.PeerAside;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client's {@link io.metacluster.spi.CommandKind#ASIDE} command: sent to every node of every
 * cluster, each on a connection of its own ({@link AsideConnection}), so that it does not wait
 * behind what the shared connections carry. Answered once every node replied or failed: with the
 * first reply that is not an error, else the first error, else an error saying why none answered.
 * One the codec's {@link PeerAside} describes goes only to the node of that other client's pinned
 * connection, or is answered at once when it has none.
 */
final class AsideRequest extends Slot implements AsideConnection.Listener {
    private final RequestContext session;
    private final Command command;
    /** What went to the node of another client's pinned connection ({@link PeerAside}), or {@code null}. */
    private Command toPeer;
    private int outstanding;
    /** The longest wait, in 2 ms steps, for a peer's pinned connection to say its id. */
    private static final int MAX_IDENTITY_WAITS = 500;
    private int identityWaits;
    private ByteBuf success;
    private ByteBuf error;
    private String failure;

    AsideRequest(RequestContext session, Command command) {
        this.session = session;
        this.command = command;
    }

    @Override
    void start() {
        PeerAside peer = session.codec().peerAside(command);
        if (peer != null) {
            startOnPeer(peer);
            return;
        }
        List<LoopCluster> clusters = session.clusters();
        Node[][] nodes = new Node[clusters.size()][];
        for (int c = 0; c < nodes.length; c++) {
            nodes[c] = clusters.get(c).cluster.nodes(); // one layout: a reload may replace it meanwhile
            outstanding += nodes[c].length;
        }
        if (outstanding == 0 || session.clientClosed()) {
            outstanding = 0;
            settle();
            return;
        }
        for (int c = 0; c < nodes.length; c++) {
            for (Node node : nodes[c]) {
                ChannelFuture connecting = clusters.get(c).connectAside(node, command, this);
                connecting.addListener(future -> {
                    if (!future.isSuccess()) {
                        asideFailed("cannot connect: " + future.cause().getMessage());
                    }
                });
            }
        }
    }

    /** To the node of the pinned connection of client {@code peer.client()}, or answered at once when it has none. */
    private void startOnPeer(PeerAside peer) {
        ClientSession target = session.peer(peer.client());
        RequestContext.PinnedBackend backend = target == null ? null : target.pinnedBackend();
        if (backend == null && target != null && target.identityPending() && identityWaits++ < MAX_IDENTITY_WAITS
                && !session.clientClosed()) {
            // its blocking command may already be blocked on the server while the proxy has not read the
            // connection's id yet (it came first on that connection): a moment, not a wrong ":0"
            session.loop().schedule(() -> startOnPeer(peer), 2, TimeUnit.MILLISECONDS);
            return;
        }
        LoopCluster through = backend == null ? null : session.clusterOf(backend.node());
        if (through == null || session.clientClosed()) {
            session.answer(this, peer.unpinned(session.alloc()));
            command.release();
            finished();
            return;
        }
        outstanding = 1;
        toPeer = Command.of(peer.request(backend.identity(), session.alloc()), command.name(), CommandKind.ASIDE, null, null);
        through.connectAside(backend.node(), toPeer, this).addListener(future -> {
            if (!future.isSuccess()) {
                asideFailed("cannot connect: " + future.cause().getMessage());
            }
        });
    }

    @Override
    public void asideReply(ByteBuf reply, boolean isError) {
        if (!isError && success == null) {
            success = reply;
        } else if (isError && error == null) {
            error = reply;
        } else {
            reply.release();
        }
        done();
    }

    @Override
    public void asideFailed(String reason) {
        if (failure == null) {
            failure = reason;
        }
        done();
    }

    private void done() {
        if (--outstanding == 0) {
            settle();
        }
    }

    private void settle() {
        if (success != null) {
            if (error != null) {
                error.release();
            }
            session.answerFromBackend(this, command, success);
        } else if (error != null) {
            session.answerFromBackend(this, command, error);
        } else {
            session.answer(this, session.error(command, "no cluster could run " + command.name() + ": "
                    + (failure != null ? failure : "the listener has no cluster")));
        }
        command.release();
        if (toPeer != null) {
            toPeer.release();
        }
        finished();
    }
}
