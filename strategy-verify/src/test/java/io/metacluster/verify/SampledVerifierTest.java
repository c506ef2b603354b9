package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.Metrics;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyHandler;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.VerifyContext;
import io.metacluster.testing.CountingMetrics;
import io.metacluster.testing.StubProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The verifier's client-side decisions and its budget, with a stand-in engine that holds every
 * request until the test answers it (no event loop needed while nothing differs).
 */
class SampledVerifierTest {
    record Cluster(String name, boolean local, boolean healthy) implements ClusterView {
    }

    record Sent(ClusterView cluster, Command command, ReplyHandler handler) {
    }

    /** Byte equality; "never" for commands named TTL. */
    static final ReplyVerification BYTES = new ReplyVerification() {
        @Override
        public boolean verifiable(Command read) {
            return !read.name().equals("TTL");
        }

        @Override
        public Verdict compareDifferent(Command read, ByteBuf a, ByteBuf b) {
            return Verdict.DIFFERENT;
        }

        @Override
        public boolean isError(Command request, ByteBuf reply) {
            return false;
        }

        @Override
        public Command delete(ByteBuf key, ByteBufAllocator alloc) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Command> capture(ByteBuf key, ByteBufAllocator alloc) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Command restore(ByteBuf key, List<ByteBuf> captured, ByteBufAllocator alloc) {
            throw new UnsupportedOperationException();
        }
    };

    static final class Engine implements VerifyContext {
        final CountingMetrics metrics = new CountingMetrics();
        final List<Cluster> clusters;
        final List<Sent> sent = new ArrayList<>();

        Engine(Cluster... clusters) {
            this.clusters = List.of(clusters);
        }

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
            return clusters;
        }

        @Override
        public Metrics metrics() {
            return metrics;
        }

        @Override
        public int writesInFlight(ClusterView cluster, ByteBuf key) {
            return 0;
        }

        @Override
        public long writesStarted(ClusterView cluster, ByteBuf key) {
            return 0;
        }

        @Override
        public void schedule(Runnable task, long delayMillis, Runnable onShutdown) {
            // these tests never get as far as a re-check; one that did would be told so loudly
            throw new IllegalStateException("no event loop in this test");
        }

        @Override
        public void send(ClusterView cluster, Command command, ReplyHandler handler) {
            sent.add(new Sent(cluster, command, handler));
        }

        long count(String metric) {
            return metrics.count(metric);
        }

        /** Answers every held request with {@code value}. */
        void answerAll(String value) {
            List<Sent> held = new ArrayList<>(sent);
            sent.clear();
            for (Sent s : held) {
                s.handler().onReply(buf(value));
            }
        }
    }

    static ByteBuf buf(String text) {
        return ByteBufAllocator.DEFAULT.buffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    static Command read(String name) {
        ByteBuf frame = buf(name + " key");
        return Command.of(frame, name, CommandKind.READ, new int[]{name.length() + 1, 3}, null);
    }

    static SampledVerifier verifier(Engine engine, SampledConfig config) {
        return (SampledVerifier) new SampledStrategy().create(config, engine);
    }

    static final Cluster LOCAL = new Cluster("dc1", true, true);
    static final Cluster LOCAL2 = new Cluster("dc1b", true, true);
    static final Cluster REMOTE = new Cluster("dc2", false, true);
    static final Cluster DOWN = new Cluster("dc3", false, false);

    /** Serves {@code reads} reads of {@code name}, as the engine does: command and reply released after onRead. */
    static void serve(SampledVerifier verifier, String name, int reads, String value) {
        for (int i = 0; i < reads; i++) {
            Command command = read(name);
            ByteBuf reply = buf(value);
            verifier.onRead(command, LOCAL, reply);
            reply.release();
            command.release();
        }
    }

    @Test
    void rateZeroSamplesNothing() {
        Engine engine = new Engine(LOCAL, REMOTE);
        serve(verifier(engine, new SampledConfig(0.0, null, null, null, null, null, null, null)), "GET", 100, "v");
        assertThat(engine.count("sampled")).isZero();
        assertThat(engine.sent).isEmpty();
    }

    @Test
    void aSampleGoesToAHealthyRemoteClusterAndMatches() {
        Engine engine = new Engine(LOCAL, LOCAL2, DOWN, REMOTE);
        serve(verifier(engine, new SampledConfig(1.0, null, null, null, null, null, null, null)), "GET", 50, "v");
        assertThat(engine.sent).hasSize(50).allSatisfy(s -> assertThat(s.cluster()).isEqualTo(REMOTE));
        engine.answerAll("v");
        assertThat(engine.count("sampled")).isEqualTo(50);
        assertThat(engine.count("match")).isEqualTo(50);
    }

    @Test
    void aLocalPeerIsUsedWhenNoRemoteIsHealthyAndNothingWhenAloneSkips() {
        Engine engine = new Engine(LOCAL, LOCAL2, DOWN);
        serve(verifier(engine, new SampledConfig(1.0, null, null, null, null, null, null, null)), "GET", 5, "v");
        assertThat(engine.sent).extracting(Sent::cluster).containsOnly(LOCAL2);
        engine.answerAll("v");

        Engine alone = new Engine(LOCAL, DOWN);
        serve(verifier(alone, new SampledConfig(1.0, null, null, null, null, null, null, null)), "GET", 5, "v");
        assertThat(alone.count("skipped.no-cluster")).isEqualTo(5);
        assertThat(alone.sent).isEmpty();
    }

    @Test
    void readsThatCannotBeComparedAreSkippedWithoutASend() {
        Engine engine = new Engine(LOCAL, REMOTE);
        serve(verifier(engine, new SampledConfig(1.0, null, null, null, null, null, null, null)), "TTL", 10, ":5\r\n");
        assertThat(engine.count("skipped.not-comparable")).isEqualTo(10);
        assertThat(engine.sent).isEmpty();
    }

    @Test
    void pastMaxInFlightSamplesAreDropped() {
        Engine engine = new Engine(LOCAL, REMOTE);
        SampledVerifier verifier = verifier(engine, new SampledConfig(1.0, 1_000_000, 10, null, null, null, null, null));
        serve(verifier, "GET", 25, "v");
        assertThat(engine.sent).hasSize(10);
        assertThat(engine.count("dropped")).isEqualTo(15);
        engine.answerAll("v");
        serve(verifier, "GET", 5, "v");
        assertThat(engine.sent).as("places are free again once checks end").hasSize(5);
        engine.answerAll("v");
        assertThat(engine.count("match")).isEqualTo(15);
    }

    @Test
    void pastMaxPerSecondSamplesAreDropped() {
        Engine engine = new Engine(LOCAL, REMOTE);
        SampledVerifier verifier = verifier(engine, new SampledConfig(1.0, 3, 1000, null, null, null, null, null));
        serve(verifier, "GET", 100, "v");
        assertThat(engine.sent).hasSize(3);
        assertThat(engine.count("dropped")).isEqualTo(97);
        engine.answerAll("v");
    }

    @Test
    void aFailedSendIsSkippedAndReleasesEverything() {
        Engine engine = new Engine(LOCAL, REMOTE);
        SampledVerifier verifier = verifier(engine, new SampledConfig(1.0, null, null, null, null, null, null, null));
        Command command = read("GET");
        ByteBuf reply = buf("v");
        verifier.onRead(command, LOCAL, reply);
        engine.sent.forEach(s -> s.handler().onFailure("down"));
        assertThat(engine.count("skipped.no-reply")).isEqualTo(1);
        assertThat(command.frame().refCnt()).isEqualTo(1);
        assertThat(reply.refCnt()).isEqualTo(1);
        reply.release();
        command.release();
    }

    @Test
    void keysInLogLinesAreTruncatedAndPrintable() {
        ByteBuf key = buf("a\u0001b");
        assertThat(SampledVerifier.printable(key)).isEqualTo("a\\x01b");
        key.release();
        ByteBuf longKey = buf("k".repeat(100));
        assertThat(SampledVerifier.printable(longKey)).isEqualTo("k".repeat(64) + "...(100 bytes)");
        longKey.release();
    }
}
