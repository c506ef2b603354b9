package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * A write the engine makes on its own, after the client was answered: it brings the clusters
 * that did not serve a {@link io.metacluster.spi.CommandKind#CONDITIONAL_WRITE} to the state of
 * the one that did. Replies are only counted; a cluster that misses it counts a missed write.
 */
final class Propagation {
    private final Command command;
    private int outstanding;

    private Propagation(Command command) {
        this.command = command;
    }

    /** Sends {@code command} (owned from now on) to every cluster but {@code except} ({@code null}: to every one). */
    static void send(Command command, List<LoopCluster> clusters, LoopCluster except, long clientId) {
        Propagation propagation = new Propagation(command);
        propagation.outstanding = clusters.size() - (except != null && clusters.contains(except) ? 1 : 0);
        if (propagation.outstanding == 0) {
            command.release();
            return;
        }
        for (LoopCluster cluster : clusters) {
            if (cluster != except) {
                if (cluster.cluster.writes != null) {
                    cluster.cluster.writes.sent(command);
                }
                cluster.write(command, clientId, propagation.new Member(cluster));
            }
        }
    }

    /**
     * Sends {@code command} (owned from now on) to {@code server} first, then, once it answered or
     * failed, to every other cluster, and runs {@code whenSent}. A reply from a pinned connection
     * may overtake replies the same node sent earlier on the shared connection (the write of another
     * client that served a blocking command, whose own propagation follows that reply): the shared
     * connection answers in order, so after its reply those propagations went out first.
     */
    static void sendServerFirst(Command command, List<LoopCluster> clusters, LoopCluster server, long clientId,
                                Runnable whenSent) {
        if (server == null || !clusters.contains(server)) {
            send(command, clusters, server, clientId);
            whenSent.run();
            return;
        }
        if (server.cluster.writes != null) {
            server.cluster.writes.sent(command);
        }
        server.write(command, clientId, new ReplyListener() {
            @Override
            public void onReply(ByteBuf reply, boolean error) {
                reply.release();
                rest();
            }

            @Override
            public void onFailure(String reason) {
                server.cluster.metrics.writesMissed.inc();
                rest();
            }

            private void rest() {
                if (server.cluster.writes != null) {
                    server.cluster.writes.done(command);
                }
                send(command, clusters, server, clientId);
                whenSent.run();
            }
        });
    }

    private void settle(LoopCluster cluster) {
        if (cluster.cluster.writes != null) {
            cluster.cluster.writes.done(command);
        }
        if (--outstanding == 0) {
            command.release();
        }
    }

    private final class Member implements ReplyListener {
        private final LoopCluster cluster;

        Member(LoopCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void onReply(ByteBuf reply, boolean error) {
            reply.release();
            settle(cluster);
        }

        @Override
        public void onFailure(String reason) {
            cluster.cluster.metrics.writesMissed.inc();
            settle(cluster);
        }
    }
}
