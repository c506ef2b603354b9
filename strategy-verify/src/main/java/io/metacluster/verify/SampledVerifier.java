package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.VerifyContext;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code sampled} verifier of one listener. {@link #onRead} only decides, on the client's
 * event loop and without I/O: a random draw against {@code rate}, then whether the read can be
 * compared at all, then the budget ({@code max-in-flight}, then {@code max-per-second}); past the
 * budget the sample is dropped and counted. A kept sample becomes a {@link Check}, which runs on
 * that same event loop from then on. With {@code scrub:}, a {@link Scrub} also walks every key.
 * Thread-safe: shared by all event loops of the listener.
 */
final class SampledVerifier implements ReadVerifier {
    private static final Logger log = LoggerFactory.getLogger(SampledVerifier.class);
    private static final int KEY_SHOWN = 64;

    final SampledConfig config;
    final SampledConfig.Repair repair;
    final VerifyContext context;
    final ReplyVerification protocol;
    final VerifyMetrics metrics;
    private final TokenBucket budget;
    private final TokenBucket logBudget;
    private final AtomicInteger inFlight = new AtomicInteger();

    SampledVerifier(SampledConfig config, VerifyContext context, ReplyVerification protocol) {
        this.config = config;
        this.repair = config.repairPolicy();
        this.context = context;
        this.protocol = protocol;
        this.metrics = new VerifyMetrics(context.metrics());
        this.budget = new TokenBucket(config.maxPerSecond());
        this.logBudget = config.maxLogsPerSecond() > 0 ? new TokenBucket(config.maxLogsPerSecond()) : null;
        if (config.scrub() != null) {
            new Scrub(this, config.scrub().keysPerSecond()).start();
        }
    }

    @Override
    public void onRead(Command command, ClusterView servedBy, ByteBuf reply) {
        double rate = config.rate();
        if (rate <= 0 || rate < 1 && ThreadLocalRandom.current().nextDouble() >= rate) {
            return;
        }
        metrics.sampled.inc();
        if (!protocol.verifiable(command)) {
            metrics.skipped(VerifyMetrics.Skip.NOT_COMPARABLE);
            return;
        }
        ClusterView other = pickOther(servedBy);
        if (other == null) {
            metrics.skipped(VerifyMetrics.Skip.NO_CLUSTER);
            return;
        }
        if (inFlight.incrementAndGet() > config.maxInFlight()) {
            inFlight.decrementAndGet();
            metrics.dropped.inc();
            return;
        }
        if (!budget.tryAcquire()) {
            inFlight.decrementAndGet();
            metrics.dropped.inc();
            return;
        }
        new Check(this, command.retain(), servedBy, other, outcome -> finished()).start(reply.retain());
    }

    /** A random healthy cluster other than {@code served}, remote ones first; {@code null} if none. */
    private ClusterView pickOther(ClusterView served) {
        ClusterView remote = pick(served, false);
        return remote != null ? remote : pick(served, true);
    }

    private ClusterView pick(ClusterView served, boolean local) {
        List<? extends ClusterView> clusters = context.clusters();
        int matching = 0;
        for (ClusterView cluster : clusters) {
            if (eligible(cluster, served, local)) {
                matching++;
            }
        }
        int chosen = matching <= 1 ? 0 : ThreadLocalRandom.current().nextInt(matching);
        for (ClusterView cluster : clusters) {
            if (eligible(cluster, served, local) && chosen-- == 0) {
                return cluster;
            }
        }
        return null;
    }

    private static boolean eligible(ClusterView cluster, ClusterView served, boolean local) {
        return cluster.local() == local && cluster.healthy() && !cluster.name().equals(served.name());
    }

    /** A check ended (whatever the outcome): its place under {@code max-in-flight} is free again. */
    void finished() {
        inFlight.decrementAndGet();
    }

    /**
     * Writes of {@code read}'s keys sent to any of {@code clusters} so far (compare two readings).
     * Take the first reading <em>before</em> asking {@link #writesInFlight}: a write counted in it
     * then shows as in flight or has been answered, and one that starts later changes the second
     * reading. Asked the other way round, a write that starts in between is already counted in
     * the first reading but not seen in flight, and nothing notices it.
     */
    long writesStarted(Command read, List<? extends ClusterView> clusters) {
        long sum = 0;
        for (ClusterView cluster : clusters) {
            for (int k = 0; k < read.keyCount(); k++) {
                sum += context.writesStarted(cluster, read.key(k));
            }
        }
        return sum;
    }

    /** Whether a write of one of {@code read}'s keys may be in flight to one of {@code clusters}. */
    boolean writesInFlight(Command read, List<? extends ClusterView> clusters) {
        for (ClusterView cluster : clusters) {
            for (int k = 0; k < read.keyCount(); k++) {
                if (context.writesInFlight(cluster, read.key(k)) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** One line per declared divergence, at most {@code max-logs-per-second}. */
    void logDivergence(Command read, ClusterView served, ClusterView other) {
        if (logBudget != null && logBudget.tryAcquire()) {
            log.warn("verify: listener {}: {} of key '{}' differs between cluster {} (served the read) and cluster {}; repair: {}",
                    context.listener(), read.name(), read.keyCount() == 0 ? "" : printable(read.key(0)), served.name(),
                    other.name(), repair.configName());
        }
    }

    /** At most {@value #KEY_SHOWN} characters, non-printable bytes as {@code \xNN}. */
    static String printable(ByteBuf key) {
        StringBuilder text = new StringBuilder();
        int end = key.writerIndex();
        for (int i = key.readerIndex(); i < end; i++) {
            if (text.length() >= KEY_SHOWN) {
                return text.append("...(").append(key.readableBytes()).append(" bytes)").toString();
            }
            int b = key.getByte(i) & 0xff;
            if (b >= 32 && b < 127 && b != '\\') {
                text.append((char) b);
            } else {
                text.append(String.format("\\x%02x", b));
            }
        }
        return text.toString();
    }
}
