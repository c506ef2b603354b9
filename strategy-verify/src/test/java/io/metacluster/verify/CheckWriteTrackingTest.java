package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.Metrics;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyHandler;
import io.metacluster.spi.VerifyContext;
import io.metacluster.testing.CountingMetrics;
import io.metacluster.testing.StubProtocol;
import io.metacluster.verify.SampledVerifierTest.Sent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.verify.SampledVerifierTest.BYTES;
import static io.metacluster.verify.SampledVerifierTest.LOCAL;
import static io.metacluster.verify.SampledVerifierTest.REMOTE;
import static io.metacluster.verify.SampledVerifierTest.buf;
import static io.metacluster.verify.SampledVerifierTest.read;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The re-check against the engine's write tracking, with a client write of the key that starts
 * while the check looks at the tracking: it must void the round, whichever reading it falls
 * between. Runs the re-checks on an {@link EmbeddedChannel}'s loop, by hand.
 */
class CheckWriteTrackingTest {
    private final EmbeddedChannel loop = new EmbeddedChannel();

    /** The engine's side, with one shared pair of tracking counters for every cluster and key. */
    final class Engine implements VerifyContext {
        final CountingMetrics metrics = new CountingMetrics();
        final List<Sent> sent = new ArrayList<>();
        int inFlight;
        long started;
        /** Runs once, right after {@link #writesInFlight} next answered for REMOTE: a write starting then. */
        Runnable afterRemoteInFlightReading;

        @Override
        public String listener() {
            return "main";
        }

        @Override
        public Protocol protocol() {
            return StubProtocol.verifying("bytes", BYTES);
        }

        @Override
        public List<? extends ClusterView> clusters() {
            return List.of(LOCAL, REMOTE);
        }

        @Override
        public void schedule(Runnable task, long delayMillis, Runnable onShutdown) {
            loop.eventLoop().schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public Metrics metrics() {
            return metrics;
        }

        @Override
        public int writesInFlight(ClusterView cluster, ByteBuf key) {
            int answer = inFlight;
            Runnable hook = afterRemoteInFlightReading;
            if (hook != null && cluster.equals(REMOTE)) {
                afterRemoteInFlightReading = null;
                hook.run();
            }
            return answer;
        }

        @Override
        public long writesStarted(ClusterView cluster, ByteBuf key) {
            return started;
        }

        @Override
        public void send(ClusterView cluster, Command command, ReplyHandler handler) {
            sent.add(new Sent(cluster, command, handler));
        }

        long count(String metric) {
            return metrics.count(metric);
        }

        Sent take(ClusterView cluster) {
            Sent found = sent.stream().filter(s -> s.cluster().equals(cluster)).findFirst().orElseThrow();
            sent.remove(found);
            return found;
        }
    }

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    private void runRecheck() {
        loop.advanceTimeBy(1, TimeUnit.SECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void aWriteStartingWhileTheRecheckReadsTheTrackingVoidsTheRound() {
        Engine engine = new Engine();
        SampledVerifier verifier = (SampledVerifier) new SampledStrategy()
                .create(new SampledConfig(1.0, null, null, "none", 10, null, null, null), engine);

        // a write of the key landed on LOCAL and is still on its way to REMOTE when the read is sampled
        Command command = read("GET");
        ByteBuf served = buf("new");
        verifier.onRead(command, LOCAL, served);
        served.release();
        command.release();
        engine.take(REMOTE).handler().onReply(buf("old"));
        assertThat(engine.sent).isEmpty();

        // it was answered by both since; now the next write of the key starts just as the
        // re-check has seen that none is in flight
        engine.afterRemoteInFlightReading = () -> {
            engine.inFlight++;
            engine.started++;
        };
        runRecheck();
        assertThat(engine.sent).hasSize(2);
        // it lands on LOCAL before the re-check's read and on REMOTE after it, and is answered
        // by both before the re-check's replies are looked at
        engine.take(LOCAL).handler().onReply(buf("newer"));
        engine.inFlight--;
        engine.take(REMOTE).handler().onReply(buf("new"));
        assertThat(engine.count("mismatch")).as("a write in the re-check's window is no divergence").isZero();

        // the round was voided; the next one, undisturbed, sees agreeing clusters
        runRecheck();
        engine.take(LOCAL).handler().onReply(buf("newer"));
        engine.take(REMOTE).handler().onReply(buf("newer"));
        assertThat(engine.count("mismatch")).isZero();
        assertThat(engine.count("match")).isEqualTo(1);
    }

    /** A sampled read of the key served {@code local}, while {@code remote} answered the first look. */
    private SampledVerifier sample(Engine engine, String local, String remote) {
        SampledVerifier verifier = (SampledVerifier) new SampledStrategy()
                .create(new SampledConfig(1.0, null, null, "none", 10, 5, null, null), engine);
        Command command = read("GET");
        ByteBuf served = buf(local);
        verifier.onRead(command, LOCAL, served);
        served.release();
        command.release();
        engine.take(REMOTE).handler().onReply(buf(remote));
        return verifier;
    }

    private void round(Engine engine, String local, String remote) {
        runRecheck();
        engine.take(LOCAL).handler().onReply(buf(local));
        engine.take(REMOTE).handler().onReply(buf(remote));
    }

    @Test
    void aDifferenceThatHoldsStillIsDeclaredAtTheFirstRecheck() {
        Engine engine = new Engine();
        sample(engine, "a", "b");
        round(engine, "a", "b");
        assertThat(engine.count("mismatch")).isEqualTo(1);
    }

    @Test
    void aDifferenceThatMovesBetweenRoundsIsNotDeclaredUntilItHoldsStill() {
        // another daemon keeps writing the key: this one's tracking sees nothing in flight, but
        // each round sees other values; only a difference that holds still is a divergence
        Engine engine = new Engine();
        sample(engine, "a", "b");
        round(engine, "a", "c");
        round(engine, "d", "c");
        assertThat(engine.count("mismatch")).isZero();
        round(engine, "d", "c");
        assertThat(engine.count("mismatch")).isEqualTo(1);
    }

    @Test
    void aDifferenceThatKeepsMovingEndsUndecided() {
        Engine engine = new Engine();
        sample(engine, "a", "b");
        for (int i = 0; i < 6; i++) {
            round(engine, "a", "v" + i);
        }
        assertThat(engine.count("mismatch")).isZero();
        assertThat(engine.count("skipped.writes-in-flight")).isEqualTo(1);
        assertThat(engine.sent).isEmpty();
    }
}
