package io.metacluster.engine;

import io.metacluster.config.ReplayConfig;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.metacluster.engine.EmbeddedEngine.sentLines;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A write kept for replay is, for read verification, a write in flight to its cluster until it
 * was replayed (or dropped by an overflow): the verifier must not take the node's missing writes
 * for a divergence while they are on their way. Driven through a real node connection.
 */
class ReplayWriteTrackingTest {
    private final EmbeddedEngine engine = new EmbeddedEngine();

    @AfterEach
    void close() {
        engine.close();
    }

    private Node node(ReplayConfig config) {
        Node node = engine.cluster("dc2", false, 1, config, 1).nodes()[0];
        node.cluster.writes = new WriteTracker();
        return node;
    }

    private void record(Node node, String... writes) {
        for (String write : writes) {
            Command command = engine.command(write);
            node.replay.record(command);
            command.release();
        }
    }

    private static int inFlight(Node node, String key) {
        ByteBuf buf = Unpooled.copiedBuffer(key, StandardCharsets.US_ASCII);
        try {
            return node.cluster.writes.inFlight(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void aRecordedWriteIsInFlightUntilItWasReplayed() {
        Node node = node(EmbeddedEngine.MEMORY_REPLAY);
        record(node, "SET a 1", "SET a 2", "SET b 3");
        assertThat(inFlight(node, "a")).isEqualTo(2);
        assertThat(inFlight(node, "b")).isEqualTo(1);

        engine.connect(node);
        assertThat(sentLines(engine.backend(node))).containsExactly("SET a 1", "SET a 2", "SET b 3");
        assertThat(inFlight(node, "a")).as("sent, not yet answered").isEqualTo(2);
        engine.reply(engine.backend(node), "+OK", "+OK");
        assertThat(inFlight(node, "a")).isZero();
        assertThat(inFlight(node, "b")).isEqualTo(1);
        engine.reply(engine.backend(node), "+OK");
        assertThat(inFlight(node, "b")).isZero();
    }

    @Test
    void anOverflowDropsThemFromTheTracking() {
        Node node = node(new ReplayConfig("", 2, 1 << 20, ReplayConfig.OnOverflow.FLUSH));
        record(node, "SET a 1", "SET b 2");
        assertThat(inFlight(node, "a")).isEqualTo(1);
        record(node, "SET c 3");
        assertThat(node.replay.state()).isEqualTo(ReplayLog.State.OVERFLOWED);
        assertThat(inFlight(node, "a")).isZero();
        assertThat(inFlight(node, "b")).isZero();
        assertThat(inFlight(node, "c")).isZero();
    }
}
