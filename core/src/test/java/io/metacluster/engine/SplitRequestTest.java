package io.metacluster.engine;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.metacluster.engine.EmbeddedEngine.received;
import static io.metacluster.engine.EmbeddedEngine.sent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request whose keys are on several nodes of a sharded cluster: one part per node, made by the
 * protocol, each with only that node's keys in their order; the parts' replies joined into the
 * whole's (in key order); an error of a part answers the whole; a write part a node cannot take
 * is kept for its replay. A keyless write goes to every node. (Key {@code ...N} is on node N.)
 */
class SplitRequestTest {
    private final EmbeddedEngine engine = new EmbeddedEngine();
    private final Cluster shards = engine.cluster("shards", true, 3, EmbeddedEngine.MEMORY_REPLAY, 1);

    @AfterEach
    void close() {
        engine.close();
    }

    private EmbeddedChannel client(boolean connectAll) {
        for (int node = 0; node < 3; node++) {
            if (connectAll || node != 1) {
                engine.connect(shards.nodes()[node]);
            }
        }
        return engine.client(engine.listener("first", shards));
    }

    private String sentTo(int node) {
        return sent(engine.backend(shards.nodes()[node]));
    }

    private void reply(int node, String... lines) {
        engine.reply(engine.backend(shards.nodes()[node]), lines);
    }

    @Test
    void aReadOverSeveralNodesIsSplitAndTheRepliesJoinedInKeyOrder() {
        EmbeddedChannel client = client(true);
        engine.send(client, "MGET a2 b0 c1 d0");
        assertThat(sentTo(0)).isEqualTo("MGET b0 d0\r\n");
        assertThat(sentTo(1)).isEqualTo("MGET c1\r\n");
        assertThat(sentTo(2)).isEqualTo("MGET a2\r\n");

        reply(1, "+C");
        reply(0, "+B D");
        assertThat(received(client)).isEmpty();
        reply(2, "+A");
        assertThat(received(client)).isEqualTo("+A B C D\r\n");
    }

    @Test
    void keysAllOnOneNodeAreNotSplit() {
        EmbeddedChannel client = client(true);
        engine.send(client, "MGET a1 b1");
        assertThat(sentTo(1)).isEqualTo("MGET a1 b1\r\n");
        assertThat(sentTo(0)).isEmpty();
        reply(1, "+A B");
        assertThat(received(client)).isEqualTo("+A B\r\n");
    }

    @Test
    void anErrorOfOnePartAnswersTheWhole() {
        EmbeddedChannel client = client(true);
        engine.send(client, "MGET a0 b1");
        reply(1, "-ERR part failed");
        reply(0, "+A");
        assertThat(received(client)).isEqualTo("-ERR part failed\r\n");
    }

    @Test
    void aReadWhosePartIsLostFailsAsAWhole() {
        EmbeddedChannel client = client(true);
        engine.send(client, "MGET a0 b1");
        engine.backend(shards.nodes()[1]).close();
        engine.run();
        assertThat(received(client)).as("not before every part is settled").isEmpty();
        reply(0, "+A");
        assertThat(received(client)).startsWith("-ERR no cluster can serve MGET now: ")
                .contains("connection to node 127.0.0.1:10001 of cluster shards lost");
    }

    @Test
    void aWritePartANodeCannotTakeIsKeptForItsReplay() {
        EmbeddedChannel client = client(false);
        engine.send(client, "DEL a0 b1 c2 d1");
        assertThat(sentTo(0)).isEqualTo("DEL a0\r\n");
        assertThat(sentTo(2)).isEqualTo("DEL c2\r\n");
        assertThat(shards.nodes()[1].replay.pending()).isEqualTo(1);
        reply(0, ":1");
        reply(2, ":1");
        assertThat(received(client)).startsWith("-ERR DEL failed on 1 of 1 clusters");

        engine.connect(shards.nodes()[1]);
        assertThat(sentTo(1)).as("its part, replayed").isEqualTo("DEL b1 d1\r\n");
    }

    @Test
    void aSplitWriteIsJoinedToo() {
        EmbeddedChannel client = client(true);
        engine.send(client, "DEL a0 b1 c1");
        reply(0, ":1");
        reply(1, ":2");
        assertThat(received(client)).isEqualTo(":3\r\n");
    }

    @Test
    void aCommandTheProtocolCannotSplitFailsOnTheCluster() {
        EmbeddedChannel client = client(true);
        engine.send(client, "RENAME a0 b1");
        assertThat(received(client)).isEqualTo("-ERR RENAME failed on 1 of 1 clusters (write policy not met): "
                + "cluster shards has 3 nodes and RENAME's keys are on different ones\r\n");
        assertThat(sentTo(0) + sentTo(1) + sentTo(2)).isEmpty();
        assertThat(shards.nodes()[0].replay.pending()).as("no node would take it: not kept").isZero();
    }

    @Test
    void aKeylessWriteGoesToEveryNodeAndIsAnsweredWithTheFirstNodesReply() {
        EmbeddedChannel client = client(true);
        engine.send(client, "FLUSH");
        assertThat(sentTo(0)).isEqualTo("FLUSH\r\n");
        assertThat(sentTo(1)).isEqualTo("FLUSH\r\n");
        assertThat(sentTo(2)).isEqualTo("FLUSH\r\n");
        reply(2, "+OK 2");
        reply(1, "+OK 1");
        assertThat(received(client)).isEmpty();
        reply(0, "+OK 0");
        assertThat(received(client)).isEqualTo("+OK 0\r\n");
    }

    @Test
    void aKeylessWriteANodeCannotTakeIsKeptForItsReplay() {
        EmbeddedChannel client = client(false);
        engine.send(client, "FLUSH");
        assertThat(shards.nodes()[1].replay.pending()).isEqualTo(1);
        reply(0, "+OK");
        reply(2, "+OK");
        assertThat(received(client)).startsWith("-ERR FLUSH failed on 1 of 1 clusters")
                .contains("node 127.0.0.1:10001 of cluster shards is down");
    }
}
