package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.util.ArrayList;
import java.util.List;

/**
 * One key the {@link Scrub} found on a cluster, compared on one event loop. The reference is the
 * cluster whose state {@code local-wins} keeps: the first healthy local cluster, else the cluster
 * walked. The key's whole value is read ({@link ReplyVerification#scrubRead}, after
 * {@link ReplyVerification#scrubProbe} on the walked cluster) on the reference and, when the
 * reference is the cluster walked, on every other healthy cluster; when it is not, on the walked
 * one only (the reference's own walk compares it with everyone; this one finds keys the reference
 * lacks). First a cheap look ({@link ReplyVerification#scrubFingerprint}, one round trip) settles
 * the keys that are byte for byte the same everywhere, and, on a walk other than the
 * reference's, the keys the reference holds; only the rest are probed and read. A difference goes
 * to a {@link Check}, which re-checks, declares and repairs it.
 */
final class ScrubKey {
    private final SampledVerifier verifier;
    private final ReplyVerification protocol;
    private final String walkedName;
    private final ByteBuf key;
    private final Scrub.Tally tally;
    private final Runnable done;

    ScrubKey(SampledVerifier verifier, String walked, ByteBuf key, Scrub.Tally tally, Runnable done) {
        this.verifier = verifier;
        this.protocol = verifier.protocol;
        this.walkedName = walked;
        this.key = key;
        this.tally = tally;
        this.done = done;
    }

    void start() {
        tally.scanned.incrementAndGet();
        verifier.metrics.scrubScanned.inc();
        ClusterView walked = null;
        ClusterView reference = null;
        for (ClusterView cluster : verifier.context.clusters()) {
            if (cluster.name().equals(walkedName)) {
                walked = cluster;
            }
            if (reference == null && cluster.local() && cluster.healthy()) {
                reference = cluster;
            }
        }
        if (walked == null) {
            end();
            return;
        }
        ClusterView from = walked;
        ClusterView ref = reference != null ? reference : walked;
        Command fingerprint = protocol.scrubFingerprint(key, ByteBufAllocator.DEFAULT);
        if (fingerprint == null) {
            probe(from, ref);
            return;
        }
        // the reference's walk compares with everyone; another walk only asks the reference
        List<Batch.Request> looks = new ArrayList<>();
        looks.add(new Batch.Request(ref, fingerprint));
        if (ref == from) {
            for (ClusterView cluster : others(ref, from)) {
                looks.add(new Batch.Request(cluster, fingerprint.retain()));
            }
        }
        Batch.send(verifier.context, looks, batch -> {
            if (settled(batch, ref == from)) {
                end();
            } else {
                probe(from, ref);
            }
        });
    }

    /**
     * Whether the fingerprints settle the key without a closer look: on the reference's walk, every
     * cluster answered the same as the reference (absent on all: gone since the walk); on another
     * walk, the reference holds the key, so its own walk compares it.
     */
    private boolean settled(Batch batch, boolean referenceWalk) {
        ByteBuf mine = batch.reply(0);
        if (mine == null || protocol.isError(batch.request(0).command(), mine)) {
            return false;
        }
        if (!referenceWalk) {
            return !protocol.scrubAbsent(mine);
        }
        for (int i = 1; i < batch.size(); i++) {
            ByteBuf theirs = batch.reply(i);
            if (theirs == null || !ByteBufUtil.equals(mine, theirs)) {
                return false;
            }
        }
        return true;
    }

    /** The closer look: the kind of value on the walked cluster, then the logical comparison. */
    private void probe(ClusterView from, ClusterView ref) {
        Command probe = protocol.scrubProbe(key, ByteBufAllocator.DEFAULT);
        if (probe == null) {
            compare(from, ref, null);
            return;
        }
        Batch.send(verifier.context, List.of(new Batch.Request(from, probe)), batch -> {
            ByteBuf reply = batch.reply(0);
            if (reply == null) {
                end();
            } else {
                compare(from, ref, reply);
            }
        });
    }

    /** The clusters {@code reference} is compared with: every other healthy one on its own walk, else the walked one. */
    private List<ClusterView> others(ClusterView reference, ClusterView walked) {
        List<ClusterView> others = new ArrayList<>();
        if (reference == walked) {
            for (ClusterView cluster : verifier.context.clusters()) {
                if (cluster != reference && cluster.healthy()) {
                    others.add(cluster);
                }
            }
        } else {
            others.add(walked);
        }
        return others;
    }

    private void compare(ClusterView walked, ClusterView reference, ByteBuf probeReply) {
        Command read = protocol.scrubRead(key, probeReply, ByteBufAllocator.DEFAULT);
        if (read == null) {
            end(); // gone since the walk saw it, or a kind that is not compared
            return;
        }
        List<ClusterView> others = others(reference, walked);
        List<Batch.Request> reads = new ArrayList<>();
        reads.add(new Batch.Request(reference, read.retain()));
        for (ClusterView cluster : others) {
            reads.add(new Batch.Request(cluster, read.retain()));
        }
        Batch.send(verifier.context, reads, batch -> {
            ByteBuf mine = batch.reply(0);
            int different = -1;
            for (int i = 1; i < batch.size() && mine != null && different < 0; i++) {
                ByteBuf theirs = batch.reply(i);
                if (theirs != null && protocol.compare(read, mine, theirs) == ReplyVerification.Verdict.DIFFERENT) {
                    different = i;
                }
            }
            if (different < 0) {
                read.release();
                end();
                return;
            }
            // the check owns the read's last reference from here
            new Check(verifier, read, reference, others.get(different - 1), this::checked)
                    .startDifferent(mine, batch.reply(different));
        });
    }

    private void checked(Check.Outcome outcome) {
        if (outcome == Check.Outcome.REPAIRED || outcome == Check.Outcome.DIVERGENT) {
            tally.divergent.incrementAndGet();
            verifier.metrics.scrubDivergent.inc();
        }
        if (outcome == Check.Outcome.REPAIRED) {
            tally.repaired.incrementAndGet();
            verifier.metrics.scrubRepaired.inc();
        }
        end();
    }

    private void end() {
        done.run(); // reads the key
        key.release();
    }
}
