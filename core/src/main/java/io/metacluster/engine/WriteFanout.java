package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.WritePolicy;
import io.metacluster.spi.WriteTally;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * A write sent to every cluster of a listener. The client is answered as soon as the write
 * policy decides; the remaining replies are still awaited and counted, then dropped.
 */
final class WriteFanout extends Slot implements WriteTally {
    private final ClientSession session;
    /** The listener's clusters {@link #members} were made for; a config reload gives new ones. */
    private List<LoopCluster> targets;
    /** One per cluster of {@link #targets}, in its order; reused with the fan-out. */
    private Member[] members;
    /** The listener's write policy when the write started: a reload does not change it midway. */
    private WritePolicy policy;
    private Command command;
    private int clusters;
    private int localClusters;
    private int succeeded;
    private int failed;
    private int localSucceeded;
    private int localFailed;
    private int outstanding;
    private boolean decided;
    private ByteBuf firstSuccess;
    private ByteBuf firstError;
    private String lastFailure;

    WriteFanout(ClientSession session) {
        this.session = session;
    }

    /** Takes {@code command} as a new request (a new or a reused object). */
    WriteFanout of(Command command) {
        clear();
        List<LoopCluster> now = session.clusters();
        if (now != targets) {
            targets = now;
            members = new Member[now.size()];
            for (int i = 0; i < members.length; i++) {
                members[i] = new Member(now.get(i));
            }
        }
        policy = session.listener().writePolicy();
        this.command = command;
        clusters = members.length;
        outstanding = clusters;
        localClusters = 0;
        succeeded = failed = localSucceeded = localFailed = 0;
        decided = false;
        firstSuccess = firstError = null;
        lastFailure = null;
        return this;
    }

    @Override
    void start() {
        for (Member member : members) {
            localClusters += member.cluster.local() ? 1 : 0;
        }
        // a node that is down fails its member at once, so the last may finish the fan-out: read nothing after
        for (Member member : members) {
            LoopCluster target = member.cluster;
            if (target.cluster.writes != null) {
                target.cluster.writes.sent(command);
            }
            target.request(command, session.id(), member, session.codec(), true);
        }
    }

    /** {@code reply} is {@code null} once the client's reply is decided (see {@link Member#wantsReply}). */
    private void replied(LoopCluster from, ByteBuf reply, boolean error) {
        if (error) {
            failed++;
            localFailed += from.local() ? 1 : 0;
            if (firstError == null) {
                firstError = reply;
            } else {
                release(reply);
            }
        } else {
            succeeded++;
            localSucceeded += from.local() ? 1 : 0;
            if (firstSuccess == null) {
                firstSuccess = reply;
            } else {
                release(reply);
            }
        }
        settle();
    }

    private void missed(LoopCluster from, String reason) {
        failed++;
        localFailed += from.local() ? 1 : 0;
        lastFailure = reason;
        from.cluster.metrics.writesMissed.inc();
        settle();
    }

    private void settle() {
        outstanding--;
        if (!decided) {
            WritePolicy.Verdict verdict = policy.judge(this);
            if (verdict == WritePolicy.Verdict.SUCCEEDED) {
                decided = true;
                ByteBuf reply = firstSuccess;
                firstSuccess = null;
                session.answerFromBackend(this, command, reply);
            } else if (verdict == WritePolicy.Verdict.FAILED || outstanding == 0) {
                decided = true;
                if (firstError != null) {
                    // a backend's own error (WRONGTYPE, OOM, ...) says more than ours would
                    ByteBuf reply = firstError;
                    firstError = null;
                    session.answerFromBackend(this, command, reply);
                } else {
                    session.listener().metrics().error(ListenerMetrics.ErrorKind.UNAVAILABLE);
                    session.answer(this, session.error(command, command.name() + " failed on " + failed + " of "
                            + clusters + " clusters (write policy not met): " + lastFailure));
                }
            }
        }
        if (outstanding == 0) {
            release(firstSuccess);
            release(firstError);
            firstSuccess = firstError = null;
            command.release();
            finished();
        }
    }

    @Override
    void reuse() {
        session.reuse(this);
    }

    private static void release(ByteBuf buf) {
        if (buf != null) {
            buf.release();
        }
    }

    @Override
    public int clusters() {
        return clusters;
    }

    @Override
    public int succeeded() {
        return succeeded;
    }

    @Override
    public int failed() {
        return failed;
    }

    @Override
    public int localClusters() {
        return localClusters;
    }

    @Override
    public int localSucceeded() {
        return localSucceeded;
    }

    @Override
    public int localFailed() {
        return localFailed;
    }

    /** The fan-out's view of one cluster's answer. */
    private final class Member implements ReplyListener {
        private final LoopCluster cluster;

        Member(LoopCluster cluster) {
            this.cluster = cluster;
        }

        /** The client's reply is decided: the others' replies are only counted. */
        @Override
        public boolean wantsReply() {
            return !decided;
        }

        @Override
        public void onReply(ByteBuf reply, boolean error) {
            if (cluster.cluster.writes != null) {
                cluster.cluster.writes.done(command);
            }
            replied(cluster, reply, error);
        }

        @Override
        public void onFailure(String reason) {
            if (cluster.cluster.writes != null) {
                cluster.cluster.writes.done(command);
            }
            missed(cluster, reason);
        }
    }
}
