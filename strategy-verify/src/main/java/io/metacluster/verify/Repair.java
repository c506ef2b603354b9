package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.ReplyVerification.RepairOutcome;
import io.metacluster.spi.ReplyVerification.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One repair round of a declared divergence ({@link Check}), by the listener's policy
 * ({@link SampledConfig.Repair}), on the check's event loop.
 *
 * <p><b>Safe repair.</b> Every repair write is conditional ({@link ReplyVerification#restoreIf},
 * {@link ReplyVerification#deleteIf}): the state of the key is captured on the source and on each
 * cluster to write, and a cluster is only written if it still holds what was captured from it,
 * server-side (Redis: a script comparing the key's DUMP; memcached: the cas unique). A write that
 * reached a cluster after the capture, from this daemon or another, is never overwritten: that
 * repair is declined and counted ({@code repair-declined}). A write of this daemon in flight to
 * the clusters involved puts the repair off instead (it may be a non-idempotent one that lands
 * after the copy). What a repair cannot know is a write that has reached the target but not yet
 * the source: the copy then carries the source's older state, until that write reaches the
 * source; so after every round the check looks again and repairs again while they differ.
 */
final class Repair {
    private final Check check;
    private final SampledVerifier verifier;
    private final ReplyVerification protocol;
    private final Command read;

    Repair(Check check) {
        this.check = check;
        this.verifier = check.verifier;
        this.protocol = check.protocol;
        this.read = check.read;
    }

    void run() {
        switch (verifier.repair) {
            case NONE -> check.repaired(false);
            case INVALIDATE -> invalidate();
            case LOCAL_WINS -> copyToEveryDivergent(check.served);
            case MAJORITY -> majority();
        }
    }

    /**
     * Deletes the keys on every healthy cluster of the listener that still holds what was
     * captured: the next read misses and the application refills it.
     */
    private void invalidate() {
        List<ClusterView> all = new ArrayList<>();
        for (ClusterView cluster : verifier.context.clusters()) {
            if (cluster.healthy()) {
                all.add(cluster);
            }
        }
        capture(all, captured -> {
            List<Batch.Request> deletes = new ArrayList<>();
            for (int k = 0; k < read.keyCount(); k++) {
                for (int c = 0; c < all.size(); c++) {
                    Command delete = protocol.deleteIf(read.key(k), captured.state(c, k), alloc());
                    if (delete != null) {
                        deletes.add(new Batch.Request(all.get(c), delete));
                    }
                }
            }
            write(deletes);
        });
    }

    /**
     * Compares {@code source} with every other healthy cluster of the listener, and copies its
     * state to each that holds something else: a divergence found on one cluster (a missed write,
     * an emptied node) is often on others too, and one read repairs them all.
     */
    private void copyToEveryDivergent(ClusterView source) {
        List<ClusterView> involved = new ArrayList<>();
        involved.add(source);
        for (ClusterView cluster : verifier.context.clusters()) {
            if (cluster != source && cluster.healthy()) {
                involved.add(cluster);
            }
        }
        readUndisturbed(involved, batch -> {
            if (batch.reply(0) == null || protocol.isError(read, batch.reply(0))) {
                check.repaired(false);
                return;
            }
            List<ClusterView> divergent = new ArrayList<>();
            for (int i = 1; i < involved.size(); i++) {
                if (batch.reply(i) != null && protocol.compare(read, batch.reply(0), batch.reply(i)) == Verdict.DIFFERENT) {
                    divergent.add(involved.get(i));
                }
            }
            if (divergent.isEmpty()) {
                check.repaired(true);
            } else {
                copy(source, divergent);
            }
        });
    }

    /**
     * Reads every healthy cluster; the answer that more than half of them give is copied to the
     * others. No such answer: {@link #invalidate}.
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
                check.repaired(true);
            } else {
                copy(healthy.get(winner), minority);
            }
        });
    }

    /** Makes {@code targets} hold what {@code source} holds for every key, type and TTL included, where they still hold what was captured. */
    private void copy(ClusterView source, List<ClusterView> targets) {
        List<ClusterView> involved = new ArrayList<>();
        involved.add(source);
        involved.addAll(targets);
        capture(involved, captured -> {
            List<Batch.Request> restores = new ArrayList<>();
            for (int k = 0; k < read.keyCount(); k++) {
                for (int t = 1; t < involved.size(); t++) {
                    Command restore = protocol.restoreIf(read.key(k), captured.state(0, k), captured.state(t, k), alloc());
                    if (restore != null) {
                        restores.add(new Batch.Request(involved.get(t), restore));
                    }
                }
            }
            write(restores);
        });
    }

    /** The replies to {@link ReplyVerification#capture} of every key on several clusters. */
    private record Captured(Batch batch, int perKey, int keys) {
        /** Cluster {@code c}'s replies for key {@code k}, in capture order (borrowed). */
        List<ByteBuf> state(int c, int k) {
            List<ByteBuf> state = new ArrayList<>(perKey);
            int first = (c * keys + k) * perKey;
            for (int i = 0; i < perKey; i++) {
                state.add(batch.reply(first + i));
            }
            return state;
        }
    }

    /**
     * Captures every key's state on each of {@code clusters}, undisturbed by this daemon's writes
     * (see {@link #readUndisturbed}), and hands the replies to {@code then}; a missing or error
     * reply ends the round without writing.
     */
    private void capture(List<ClusterView> clusters, Consumer<Captured> then) {
        long started = verifier.writesStarted(read, clusters);
        if (verifier.writesInFlight(read, clusters)) {
            declined(1);
            check.repaired(false);
            return;
        }
        List<Batch.Request> captures = new ArrayList<>();
        int perKey = 0;
        for (ClusterView cluster : clusters) {
            for (int k = 0; k < read.keyCount(); k++) {
                List<Command> commands = protocol.capture(read.key(k), alloc());
                perKey = commands.size();
                for (Command command : commands) {
                    captures.add(new Batch.Request(cluster, command));
                }
            }
        }
        int capturesPerKey = perKey;
        Batch.send(verifier.context, captures, batch -> {
            if (!batch.allSucceeded(protocol)) {
                check.repaired(false);
            } else if (verifier.writesStarted(read, clusters) != started || verifier.writesInFlight(read, clusters)) {
                declined(1);
                check.repaired(false);
            } else {
                then.accept(new Captured(batch, capturesPerKey, read.keyCount()));
            }
        });
    }

    /** Sends the conditional writes and counts what each cluster did with its own. */
    private void write(List<Batch.Request> writes) {
        if (writes.isEmpty()) {
            check.repaired(true);
            return;
        }
        Batch.send(verifier.context, writes, written -> {
            int applied = 0;
            int declined = 0;
            int failed = 0;
            for (int i = 0; i < written.size(); i++) {
                ByteBuf reply = written.reply(i);
                RepairOutcome outcome = reply == null ? RepairOutcome.FAILED
                        : protocol.repairOutcome(written.request(i).command(), reply);
                switch (outcome) {
                    case APPLIED -> applied++;
                    case DECLINED -> declined++;
                    case FAILED -> failed++;
                }
            }
            verifier.metrics.clustersRepaired.inc(applied);
            declined(declined);
            check.repaired(failed < written.size());
        });
    }

    private void declined(int count) {
        verifier.metrics.repairDeclined.inc(count);
    }

    /**
     * Reads the keys on every one of {@code clusters} at once and hands the replies, in that
     * order, to {@code then}; a write of the keys from this daemon in flight before or started
     * during the reads makes the replies worthless: the round ends without writing.
     */
    private void readUndisturbed(List<ClusterView> clusters, Consumer<Batch> then) {
        long started = verifier.writesStarted(read, clusters);
        if (verifier.writesInFlight(read, clusters)) {
            check.repaired(false);
            return;
        }
        List<Batch.Request> reads = new ArrayList<>();
        for (ClusterView cluster : clusters) {
            reads.add(new Batch.Request(cluster, read.retain()));
        }
        Batch.send(verifier.context, reads, batch -> {
            if (verifier.writesStarted(read, clusters) != started || verifier.writesInFlight(read, clusters)) {
                check.repaired(false);
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

    private static ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }
}
