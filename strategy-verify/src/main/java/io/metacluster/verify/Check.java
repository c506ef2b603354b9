package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.ReplyVerification.Verdict;
import io.metacluster.verify.VerifyMetrics.Skip;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One sampled read, from the first comparison to the repair. Confined to the event loop of the
 * client whose read was sampled: every step runs there (replies of {@code VerifyContext.send}
 * and scheduled re-checks come back to the calling loop), so no field needs a lock.
 *
 * <ol>
 *   <li><b>First look.</b> The reply the client got from cluster A is compared with B's reply
 *       to the same request. The same: a match, done.</li>
 *   <li><b>Re-check.</b> A difference may be a write still landing (on B, or from another daemon),
 *       so nothing is declared yet: after {@code recheck-delay-ms}, once no write of the keys is
 *       in flight to A or B, both are read again, at once. A write of the keys that starts
 *       before both answered voids the round, which is retried up to {@code max-rechecks} times.
 *       Only a difference that survives an undisturbed round is a mismatch.</li>
 *   <li><b>Repair</b> by policy ({@link SampledConfig.Repair}).</li>
 * </ol>
 *
 * <p>Owns one reference to the read command (released by {@link #finish}) and, until the first
 * comparison, one to A's reply.
 */
final class Check {
    private final SampledVerifier verifier;
    private final ReplyVerification protocol;
    private final Command read;
    private final ClusterView served;
    private final ClusterView other;
    private final List<ClusterView> pair;
    private int rechecks;
    private boolean finished;

    Check(SampledVerifier verifier, Command read, ClusterView served, ClusterView other) {
        this.verifier = verifier;
        this.protocol = verifier.protocol;
        this.read = read;
        this.served = served;
        this.other = other;
        this.pair = List.of(served, other);
    }

    /** @param servedReply the client's reply, retained for this check */
    void start(ByteBuf servedReply) {
        Batch.send(verifier.context, List.of(new Batch.Request(other, read.retain())), batch -> {
            try {
                firstLook(servedReply, batch.reply(0));
            } finally {
                servedReply.release();
            }
        });
    }

    private void firstLook(ByteBuf servedReply, ByteBuf otherReply) {
        if (otherReply == null) {
            finish(Skip.NO_REPLY);
            return;
        }
        switch (protocol.compare(read, servedReply, otherReply)) {
            case SAME -> match();
            case INCOMPARABLE -> finish(Skip.ERROR_REPLY);
            case DIFFERENT -> later(this::recheck);
        }
    }

    private void recheck() {
        verifier.metrics.rechecked.inc();
        // started, then in flight (see SampledVerifier#writesStarted): the other order misses a write
        // that starts between the two readings, lands on one cluster only during the reads and
        // is answered before they are, which then looked like a divergence
        long started = verifier.writesStarted(read, pair);
        if (verifier.writesInFlight(read, pair)) {
            putOff();
            return;
        }
        Batch.send(verifier.context, List.of(new Batch.Request(served, read.retain()), new Batch.Request(other, read.retain())),
                batch -> {
                    if (batch.reply(0) == null || batch.reply(1) == null) {
                        finish(Skip.NO_REPLY);
                    } else if (verifier.writesStarted(read, pair) != started || verifier.writesInFlight(read, pair)) {
                        putOff();
                    } else {
                        Verdict verdict = protocol.compare(read, batch.reply(0), batch.reply(1));
                        switch (verdict) {
                            case SAME -> match();
                            case INCOMPARABLE -> finish(Skip.ERROR_REPLY);
                            case DIFFERENT -> mismatch();
                        }
                    }
                });
    }

    /** Writes of the keys are landing: look again later, or give up. */
    private void putOff() {
        if (++rechecks > verifier.config.maxRechecks()) {
            finish(Skip.WRITES_IN_FLIGHT);
        } else {
            later(this::recheck);
        }
    }

    private void match() {
        verifier.metrics.match.inc();
        finish(null);
    }

    private void mismatch() {
        verifier.metrics.mismatch.inc();
        verifier.logDivergence(read, served, other);
        switch (verifier.repair) {
            case NONE -> finish(null);
            case INVALIDATE -> invalidate();
            case LOCAL_WINS -> copyToEveryDivergent(served);
            case MAJORITY -> majority();
        }
    }

    /**
     * Deletes the keys on every cluster of the listener. Always safe for a cache, even against a
     * concurrent client write: at worst that write's value is deleted too, and the next read misses.
     */
    private void invalidate() {
        List<Batch.Request> deletes = new ArrayList<>();
        for (int k = 0; k < read.keyCount(); k++) {
            for (ClusterView cluster : verifier.context.clusters()) {
                deletes.add(new Batch.Request(cluster, protocol.delete(read.key(k), alloc())));
            }
        }
        Batch.send(verifier.context, deletes, batch -> repaired(batch.allSucceeded(protocol)));
    }

    /**
     * Compares {@code source} with every other healthy cluster of the listener, and copies its
     * state to each that holds something else: a divergence found on one cluster (a missed write,
     * an emptied node) is often on others too, and one read repairs them all. A write of the keys
     * in between: {@link #invalidate}.
     */
    private void copyToEveryDivergent(ClusterView source) {
        List<ClusterView> involved = new ArrayList<>();
        involved.add(source);
        for (ClusterView cluster : verifier.context.clusters()) {
            if (cluster != source && (cluster == other || cluster.healthy())) {
                involved.add(cluster);
            }
        }
        readUndisturbed(involved, batch -> {
            if (batch.reply(0) == null || protocol.isError(read, batch.reply(0))) {
                repaired(false);
                return;
            }
            List<ClusterView> divergent = new ArrayList<>();
            for (int i = 1; i < involved.size(); i++) {
                if (batch.reply(i) != null && protocol.compare(read, batch.reply(0), batch.reply(i)) == Verdict.DIFFERENT) {
                    divergent.add(involved.get(i));
                }
            }
            if (divergent.isEmpty()) {
                repaired(true);
            } else {
                copy(source, divergent);
            }
        });
    }

    /**
     * Makes {@code targets} hold what {@code source} holds for every key, type and TTL included.
     * These writes bypass the engine's write tracking, so a client write of the same key may
     * cross them: the source's state could be copied over a newer value. The window is closed
     * as far as the tracking allows: no copy starts while a write of the keys is in flight, and
     * a write started anywhere between the capture and the end of the copy turns the repair
     * into {@link #invalidate} (a miss, never a stale value that stays).
     */
    private void copy(ClusterView source, List<ClusterView> targets) {
        List<ClusterView> involved = new ArrayList<>(targets);
        involved.add(source);
        long started = verifier.writesStarted(read, involved);
        if (verifier.writesInFlight(read, involved)) {
            invalidate();
            return;
        }
        List<Batch.Request> captures = new ArrayList<>();
        int perKey = -1;
        for (int k = 0; k < read.keyCount(); k++) {
            List<Command> commands = protocol.capture(read.key(k), alloc());
            perKey = commands.size();
            for (Command command : commands) {
                captures.add(new Batch.Request(source, command));
            }
        }
        int capturesPerKey = perKey;
        Batch.send(verifier.context, captures, captured -> {
            if (!allReplied(captured)) {
                repaired(false);
                return;
            }
            if (verifier.writesStarted(read, involved) != started || verifier.writesInFlight(read, involved)) {
                invalidate();
                return;
            }
            List<Batch.Request> restores = new ArrayList<>();
            for (int k = 0; k < read.keyCount(); k++) {
                List<ByteBuf> state = new ArrayList<>(capturesPerKey);
                for (int i = 0; i < capturesPerKey; i++) {
                    state.add(captured.reply(k * capturesPerKey + i));
                }
                Command restore = protocol.restore(read.key(k), state, alloc());
                if (restore == null) {
                    restores.forEach(r -> r.command().release());
                    invalidate();
                    return;
                }
                for (int t = 0; t < targets.size(); t++) {
                    restores.add(new Batch.Request(targets.get(t), t == 0 ? restore : restore.retain()));
                }
            }
            Batch.send(verifier.context, restores, written -> {
                if (verifier.writesStarted(read, involved) != started) {
                    invalidate();
                } else {
                    boolean ok = written.allSucceeded(protocol);
                    if (ok) {
                        verifier.metrics.clustersRepaired.inc(targets.size());
                    }
                    repaired(ok);
                }
            });
        });
    }

    /**
     * Reads every healthy cluster; the answer that more than half of them give is copied to the
     * others. No such answer (or a write of the keys in between): {@link #invalidate}.
     */
    private void majority() {
        List<ClusterView> healthy = new ArrayList<>();
        for (ClusterView cluster : verifier.context.clusters()) {
            if (cluster.healthy()) {
                healthy.add(cluster);
            }
        }
        readUndisturbed(healthy, batch -> {
            int winner = -1;
            int votes = 0;
            for (int i = 0; i < healthy.size(); i++) {
                int agree = agreeing(batch, i);
                // ties go to the earlier cluster; the cluster that served the read is not favoured
                if (agree > votes) {
                    winner = i;
                    votes = agree;
                }
            }
            if (winner < 0 || 2 * votes <= healthy.size()) {
                invalidate();
                return;
            }
            List<ClusterView> minority = new ArrayList<>();
            for (int i = 0; i < healthy.size(); i++) {
                if (batch.reply(i) != null && !same(batch, winner, i)) {
                    minority.add(healthy.get(i));
                }
            }
            if (minority.isEmpty()) {
                repaired(true);
            } else {
                copy(healthy.get(winner), minority);
            }
        });
    }

    /**
     * Reads the keys on every one of {@code clusters} at once and hands the replies, in that
     * order, to {@code then}; a write of the keys in flight before or started during the reads
     * makes the replies worthless: {@link #invalidate} instead.
     */
    private void readUndisturbed(List<ClusterView> clusters, Consumer<Batch> then) {
        long started = verifier.writesStarted(read, clusters);
        if (verifier.writesInFlight(read, clusters)) {
            invalidate();
            return;
        }
        List<Batch.Request> reads = new ArrayList<>();
        for (ClusterView cluster : clusters) {
            reads.add(new Batch.Request(cluster, read.retain()));
        }
        Batch.send(verifier.context, reads, batch -> {
            if (verifier.writesStarted(read, clusters) != started || verifier.writesInFlight(read, clusters)) {
                invalidate();
            } else {
                then.accept(batch);
            }
        });
    }

    /** How many replies of {@code batch} are the same answer as reply {@code i} (itself included); 0 for no answer. */
    private int agreeing(Batch batch, int i) {
        ByteBuf reply = batch.reply(i);
        if (reply == null || protocol.isError(read, reply)) {
            return 0;
        }
        int agree = 0;
        for (int j = 0; j < batch.size(); j++) {
            if (same(batch, i, j)) {
                agree++;
            }
        }
        return agree;
    }

    private boolean same(Batch batch, int i, int j) {
        return batch.reply(j) != null && protocol.compare(read, batch.reply(i), batch.reply(j)) == Verdict.SAME;
    }

    private static boolean allReplied(Batch batch) {
        for (int i = 0; i < batch.size(); i++) {
            if (batch.reply(i) == null) {
                return false;
            }
        }
        return true;
    }

    private void repaired(boolean ok) {
        (ok ? verifier.metrics.repaired : verifier.metrics.repairFailed).inc();
        finish(null);
    }

    /** Runs {@code step} on this event loop after {@code recheck-delay-ms}; a daemon that stops first ends the check. */
    private void later(Runnable step) {
        verifier.context.schedule(step, verifier.config.recheckDelayMs(), () -> finish(Skip.SHUTDOWN));
    }

    private void finish(Skip skip) {
        if (finished) {
            return;
        }
        finished = true;
        if (skip != null) {
            verifier.metrics.skipped(skip);
        }
        read.release();
        verifier.finished();
    }

    private static ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }
}
