package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client's {@link io.metacluster.spi.CommandKind#EVERY_NODE} command: sent to every node of
 * every cluster, each on a connection of its own ({@link AsideConnection}), and answered once every
 * node replied or failed: with the reply when all are the same bytes, else with an error that names
 * the clusters (and, in a cluster of several nodes, the node) whose reply differs from the most
 * common one (the first cluster's among equals), each with what it said.
 */
final class AgreedRequest extends Slot {
    /** How much of a differing reply the error quotes. */
    private static final int QUOTED = 120;

    private final RequestContext session;
    private final Command command;
    /** Per node, in cluster order: who it is, and its reply or why there is none. */
    private final List<Answer> answers = new ArrayList<>();
    private int outstanding;

    private static final class Answer {
        final String who;
        ByteBuf reply;
        String failure;

        Answer(String who) {
            this.who = who;
        }

        String said() {
            if (reply == null) {
                return "no reply (" + failure + ")";
            }
            String text = reply.toString(StandardCharsets.UTF_8).strip();
            return text.length() > QUOTED ? text.substring(0, QUOTED) + "..." : text;
        }
    }

    AgreedRequest(RequestContext session, Command command) {
        this.session = session;
        this.command = command;
    }

    @Override
    void start() {
        List<LoopCluster> clusters = session.clusters();
        List<Runnable> sends = new ArrayList<>();
        for (LoopCluster cluster : clusters) {
            Node[] nodes = cluster.cluster.nodes(); // one layout: a reload may replace it meanwhile
            for (Node node : nodes) {
                Answer answer = new Answer(nodes.length == 1 ? cluster.name() : cluster.name() + " (" + node.address + ")");
                answers.add(answer);
                sends.add(() -> send(cluster, node, answer));
            }
        }
        outstanding = answers.size();
        if (outstanding == 0 || session.clientClosed()) {
            outstanding = 0;
            settle();
            return;
        }
        sends.forEach(Runnable::run); // a node that fails at once may settle the request: read nothing after
    }

    private void send(LoopCluster cluster, Node node, Answer answer) {
        ChannelFuture connecting = cluster.connectAside(node, command, new AsideConnection.Listener() {
            @Override
            public void asideReply(ByteBuf reply, boolean error) {
                answer.reply = reply;
                done();
            }

            @Override
            public void asideFailed(String reason) {
                answer.failure = reason;
                done();
            }
        });
        connecting.addListener(future -> {
            if (!future.isSuccess() && answer.reply == null && answer.failure == null) {
                answer.failure = "cannot connect: " + future.cause().getMessage();
                done();
            }
        });
    }

    private void done() {
        if (--outstanding == 0) {
            settle();
        }
    }

    private void settle() {
        Answer common = mostCommon();
        if (common == null) {
            session.answer(this, session.error(command, "no cluster could run " + command.name()
                    + ": the listener has no cluster"));
        } else if (common.reply != null && answers.stream().allMatch(a -> same(a, common))) {
            ByteBuf reply = common.reply;
            common.reply = null;
            session.answerFromBackend(this, command, reply);
        } else {
            StringBuilder message = new StringBuilder(command.name()).append(" did not get the same reply from every cluster: ");
            Map<String, List<String>> differing = new LinkedHashMap<>();
            List<String> agreeing = new ArrayList<>();
            for (Answer answer : answers) {
                if (same(answer, common)) {
                    agreeing.add(answer.who);
                } else {
                    differing.computeIfAbsent(answer.said(), said -> new ArrayList<>()).add(answer.who);
                }
            }
            differing.forEach((said, who) -> message.append(String.join(", ", who)).append(": ").append(said).append("; "));
            message.append(String.join(", ", agreeing)).append(": ").append(common.said());
            session.metrics().error(ListenerMetrics.ErrorKind.UNAVAILABLE);
            session.answer(this, session.error(command, message.toString()));
        }
        for (Answer answer : answers) {
            if (answer.reply != null) {
                answer.reply.release();
            }
        }
        command.release();
        finished();
    }

    /** The reply most nodes gave (a reply over no reply, the earliest cluster's among equals); null with no node. */
    private Answer mostCommon() {
        Answer best = null;
        int bestCount = 0;
        for (Answer candidate : answers) {
            int count = 0;
            for (Answer other : answers) {
                count += same(candidate, other) ? 1 : 0;
            }
            boolean better = count > bestCount || (count == bestCount && best != null && best.reply == null && candidate.reply != null);
            if (best == null || better) {
                best = candidate;
                bestCount = count;
            }
        }
        return best;
    }

    private static boolean same(Answer a, Answer b) {
        return a.reply != null && b.reply != null ? ByteBufUtil.equals(a.reply, b.reply)
                : a.reply == null && b.reply == null && a.failure.equals(b.failure);
    }
}
