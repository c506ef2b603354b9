package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;

import java.util.List;

/**
 * A client's {@link io.metacluster.spi.CommandKind#ASIDE} command: sent to every node of every
 * cluster, each on a connection of its own ({@link AsideConnection}), so that it does not wait
 * behind what the shared connections carry. Answered once every node replied or failed: with the
 * first reply that is not an error, else the first error, else an error saying why none answered.
 */
final class AsideRequest extends Slot implements AsideConnection.Listener {
    private final RequestContext session;
    private final Command command;
    private int outstanding;
    private ByteBuf success;
    private ByteBuf error;
    private String failure;

    AsideRequest(RequestContext session, Command command) {
        this.session = session;
        this.command = command;
    }

    @Override
    void start() {
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
        finished();
    }
}
