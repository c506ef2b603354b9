package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.ServerReports;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A read served by one cluster. If that cluster cannot answer (down, connection lost), the
 * read moves to another healthy one, so a client sees an error only when none can answer.
 * A {@link CommandKind#CONDITIONAL_WRITE} is routed the same way and then propagated. A server
 * report ({@link ServerReports}) is asked of every node of the chosen cluster and joined.
 */
final class ReadRequest extends Slot implements ReplyListener {
    /** The client's session, as its requests see it. */
    private final RequestContext session;
    private Command command;
    private LoopCluster target;
    /** The listener's clusters when the read started: {@link #tried} indexes them, whatever a reload changes meanwhile. */
    private List<LoopCluster> clusters;
    private long tried;
    private boolean missRetried;
    /** Whether the command is a server report: not verified, not retried on a miss. */
    private boolean report;

    ReadRequest(RequestContext session) {
        this.session = session;
    }

    /** Takes {@code command} as a new request (a new or a reused object). */
    ReadRequest of(Command command) {
        clear();
        this.command = command;
        target = null;
        clusters = null;
        tried = 0;
        missRetried = false;
        report = false;
        return this;
    }

    @Override
    void start() {
        if (session.clientClosed()) {
            // nobody will read the reply (a client disconnected for its unread output had many waiting)
            session.answer(this, null);
            finish();
            return;
        }
        clusters = session.clusters();
        route(clusters, null);
    }

    @Override
    boolean conditional() {
        return command.kind() == CommandKind.CONDITIONAL_WRITE;
    }

    private void route(List<LoopCluster> candidates, String lastFailure) {
        target = session.select(command, candidates);
        if (target == null) {
            String reason = lastFailure != null ? lastFailure : "no cluster is up";
            session.metrics().error(ListenerMetrics.ErrorKind.UNAVAILABLE);
            session.answer(this, session.error(command, "no cluster can serve " + command.name() + " now: " + reason));
            finish();
            return;
        }
        tried |= 1L << session.indexOf(clusters, target);
        ServerReports reports = command.kind() == CommandKind.READ ? session.codec().reports() : null;
        if (reports != null && reports.isReport(command)) {
            report = true;
            LoopCluster serving = target;
            target.askEveryNode(command, session.id(), this,
                    replies -> reports.join(command, replies, session.report(serving), session.alloc()));
            return;
        }
        target.request(command, session.id(), this, session.codec(), false);
    }

    @Override
    public void onReply(ByteBuf reply, boolean error) {
        if (command.kind() == CommandKind.READ && !report && !missRetried && session.missFailover()
                && session.codec().isMiss(command, reply)) {
            LoopCluster another = session.select(command, untried());
            if (another != null) {
                missRetried = true;
                reply.release();
                session.metrics().missFailovers.mark();
                target = another;
                tried |= 1L << session.indexOf(clusters, another);
                another.request(command, session.id(), this, session.codec(), false);
                return;
            }
        }
        if (command.kind() == CommandKind.READ) {
            if (!report) {
                session.verifier().onRead(command, target, reply);
            }
        } else if (!error) {
            ConditionalWrites writes = session.codec().conditionalWrites();
            Command followUp = writes.propagation(command, reply, session.alloc());
            if (followUp != null) {
                Propagation.send(followUp, clusters, writes.alsoToServer(followUp) ? null : target, session.id());
            }
        }
        session.answerFromBackend(this, command, reply);
        finish();
    }

    private void finish() {
        boolean conditional = conditional();
        command.release();
        if (conditional) {
            session.conditionalDone();
        }
        finished();
    }

    @Override
    void reuse() {
        session.reuse(this);
    }

    @Override
    public void onFailure(String reason) {
        route(untried(), reason);
    }

    private List<LoopCluster> untried() {
        List<LoopCluster> untried = new ArrayList<>();
        List<LoopCluster> all = clusters;
        for (int i = 0; i < all.size(); i++) {
            if ((tried & (1L << i)) == 0) {
                untried.add(all.get(i));
            }
        }
        return untried;
    }
}
