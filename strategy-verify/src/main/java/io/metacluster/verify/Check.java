package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.ReplyVerification.Verdict;
import io.metacluster.verify.VerifyMetrics.Skip;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.util.List;

/**
 * One read to verify (a sampled client read, or a key the scrub found differing), from the
 * first comparison to the repair. Confined to one event loop: every step runs there (replies of
 * {@code VerifyContext.send} and scheduled re-checks come back to the calling loop), so no field
 * needs a lock.
 *
 * <ol>
 *   <li><b>First look.</b> Cluster A's reply (the one the client got) is compared with B's reply
 *       to the same request. The same: a match, done.</li>
 *   <li><b>Re-check.</b> A difference may be a write still landing (on B, or from another daemon),
 *       so nothing is declared yet: after {@code recheck-delay-ms}, once no write of the keys is
 *       in flight to A or B from this daemon, both are read again, at once. A write of the keys
 *       that starts before both answered voids the round. A difference is only declared when the
 *       round is undisturbed and both replies are what the previous round saw: a key another
 *       daemon keeps writing changes between rounds, which a real divergence does not. After
 *       {@code max-rechecks} rounds without a verdict the check gives up.</li>
 *   <li><b>Repair</b> by policy ({@link Repair}); then the check looks again, since a write that
 *       reached one cluster during the repair may still be on its way to the others, and repairs
 *       again if the difference is still there (at most {@value #REPAIR_ROUNDS} rounds).</li>
 * </ol>
 *
 * <p>Owns one reference to the read command (released by {@link #finish}) and, until the first
 * comparison, one to A's reply; keeps copies of the previous round's replies.
 */
final class Check {
    /** Repairs of one divergence at most, each followed by a look. */
    static final int REPAIR_ROUNDS = 3;

    /** How a check ended. */
    enum Outcome {
        /** No difference, or none that lasted. */
        SAME,
        /** A difference was declared and a repair wrote every divergent cluster. */
        REPAIRED,
        /** A difference was declared and is not (or not entirely) repaired. */
        DIVERGENT,
        /** Nothing could be concluded (no reply, errors, writes in flight, shutdown). */
        UNDECIDED
    }

    /** Told once, when the check ends. */
    interface Done {
        void done(Outcome outcome);
    }

    final SampledVerifier verifier;
    final ReplyVerification protocol;
    final Command read;
    final ClusterView served;
    final ClusterView other;
    final List<ClusterView> pair;
    private final Done done;
    private int rechecks;
    private int repairs;
    private byte[] lastServed;
    private byte[] lastOther;
    private boolean finished;

    Check(SampledVerifier verifier, Command read, ClusterView served, ClusterView other, Done done) {
        this.verifier = verifier;
        this.protocol = verifier.protocol;
        this.read = read;
        this.served = served;
        this.other = other;
        this.pair = List.of(served, other);
        this.done = done;
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

    /**
     * Starts from replies already compared as different (the scrub's first look; borrowed):
     * straight to the re-check.
     */
    void startDifferent(ByteBuf servedReply, ByteBuf otherReply) {
        remember(servedReply, otherReply);
        later(this::recheck);
    }

    private void firstLook(ByteBuf servedReply, ByteBuf otherReply) {
        if (otherReply == null) {
            finish(Skip.NO_REPLY, Outcome.UNDECIDED);
            return;
        }
        switch (protocol.compare(read, servedReply, otherReply)) {
            case SAME -> match();
            case INCOMPARABLE -> finish(Skip.ERROR_REPLY, Outcome.UNDECIDED);
            case DIFFERENT -> startDifferent(servedReply, otherReply);
        }
    }

    void recheck() {
        verifier.metrics.rechecked.inc();
        if (!served.healthy() || !other.healthy()) {
            // out of reads: down, catching up on missed writes, or being resynchronised; its copy is
            // known to be behind, and what it lacks is on its way
            finish(Skip.NO_CLUSTER, repairs > 0 ? Outcome.DIVERGENT : Outcome.UNDECIDED);
            return;
        }
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
                    ByteBuf a = batch.reply(0);
                    ByteBuf b = batch.reply(1);
                    if (a == null || b == null) {
                        finish(Skip.NO_REPLY, Outcome.UNDECIDED);
                    } else if (verifier.writesStarted(read, pair) != started || verifier.writesInFlight(read, pair)) {
                        putOff();
                    } else {
                        switch (protocol.compare(read, a, b)) {
                            case SAME -> match();
                            case INCOMPARABLE -> finish(Skip.ERROR_REPLY, Outcome.UNDECIDED);
                            case DIFFERENT -> {
                                if (sameAsLastRound(a, b)) {
                                    mismatch();
                                } else {
                                    // moving: writes (another daemon's?) are landing; judge a settled state
                                    remember(a, b);
                                    putOff();
                                }
                            }
                        }
                    }
                });
    }

    private boolean sameAsLastRound(ByteBuf a, ByteBuf b) {
        return lastServed != null && ByteBufUtil.equals(a, Unpooled.wrappedBuffer(lastServed))
                && ByteBufUtil.equals(b, Unpooled.wrappedBuffer(lastOther));
    }

    private void remember(ByteBuf a, ByteBuf b) {
        lastServed = ByteBufUtil.getBytes(a);
        lastOther = ByteBufUtil.getBytes(b);
    }

    /** Writes of the keys are landing: look again later, or give up. */
    private void putOff() {
        if (++rechecks > verifier.config.maxRechecks()) {
            finish(Skip.WRITES_IN_FLIGHT, repairs > 0 ? Outcome.DIVERGENT : Outcome.UNDECIDED);
        } else {
            later(this::recheck);
        }
    }

    private void match() {
        if (repairs == 0) {
            verifier.metrics.match.inc();
            finish(null, Outcome.SAME);
        } else {
            finish(null, Outcome.REPAIRED);
        }
    }

    private void mismatch() {
        if (repairs == 0) {
            verifier.metrics.mismatch.inc();
            verifier.logDivergence(read, served, other);
        }
        if (verifier.repair == SampledConfig.Repair.NONE) {
            finish(null, Outcome.DIVERGENT);
        } else if (repairs >= REPAIR_ROUNDS) {
            finish(null, Outcome.DIVERGENT);
        } else {
            repairs++;
            new Repair(this).run();
        }
    }

    /**
     * A repair round ended. {@code wrote}: something was written (or declined because a newer
     * write got there first); look again after the delay to see the copies agree. Otherwise the
     * repair could not be made now (a write of this daemon in flight, no reply): give up.
     */
    void repaired(boolean wrote) {
        if (!wrote) {
            finish(null, Outcome.DIVERGENT);
            return;
        }
        lastServed = null;
        lastOther = null;
        rechecks = 0;
        later(this::recheck);
    }

    /** Runs {@code step} on this event loop after {@code recheck-delay-ms}; a daemon that stops first ends the check. */
    void later(Runnable step) {
        verifier.context.schedule(step, verifier.config.recheckDelayMs(), () -> finish(Skip.SHUTDOWN, Outcome.UNDECIDED));
    }

    void finish(Skip skip, Outcome outcome) {
        if (finished) {
            return;
        }
        finished = true;
        if (skip != null) {
            verifier.metrics.skipped(skip);
        }
        if (outcome == Outcome.REPAIRED) {
            verifier.metrics.repaired.inc();
        } else if (outcome == Outcome.DIVERGENT && repairs > 0) {
            verifier.metrics.repairFailed.inc();
        }
        read.release();
        done.done(outcome);
    }
}
