package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.metacluster.engine.EmbeddedEngine.received;
import static io.metacluster.engine.EmbeddedEngine.sent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's write, sent to every cluster of its listener: every cluster gets it, whatever the
 * policy; the client is answered exactly once, as soon as the policy decides, with the first
 * successful reply, or with the first backend error (or the engine's own error when no cluster
 * answered one); the replies after that are only counted; pipelined writes are answered in
 * their order.
 */
class WriteFanoutTest {
    private final EmbeddedEngine engine = new EmbeddedEngine();
    private Cluster dc1;
    private Cluster dc2;
    private Cluster dc3;

    @AfterEach
    void close() {
        engine.close();
    }

    /** A client of a listener with {@code policy} over dc1 (local), dc2 and dc3, all up. */
    private EmbeddedChannel clientOf(String policy) {
        dc1 = engine.cluster("dc1", true);
        dc2 = engine.cluster("dc2", false);
        dc3 = engine.cluster("dc3", false);
        engine.connect(dc1.nodes()[0]);
        engine.connect(dc2.nodes()[0]);
        engine.connect(dc3.nodes()[0]);
        return engine.client(engine.listener(policy, dc1, dc2, dc3));
    }

    private void reply(Cluster cluster, String... lines) {
        engine.reply(engine.backend(cluster), lines);
    }

    @Test
    void firstAnswersWithTheFirstSuccessOnceTheLocalClusterAnsweredAndEveryClusterStillGetsTheWrite() {
        EmbeddedChannel client = clientOf("first");
        engine.send(client, "SET k v");
        assertThat(sent(engine.backend(dc1))).isEqualTo("SET k v\r\n");
        assertThat(sent(engine.backend(dc2))).isEqualTo("SET k v\r\n");
        assertThat(sent(engine.backend(dc3))).isEqualTo("SET k v\r\n");
        assertThat(received(client)).as("nothing before a cluster answered").isEmpty();

        reply(dc3, "+OK from dc3");
        assertThat(received(client)).as("the local cluster, which serves reads, has not answered yet").isEmpty();
        reply(dc1, "+OK from dc1");
        assertThat(received(client)).as("the first success, once the local cluster answered").isEqualTo("+OK from dc3\r\n");
        reply(dc2, "-ERR late");
        assertThat(received(client)).as("answered once").isEmpty();
        assertThat(engine.metrics.meter("cluster.dc2.errors").getCount()).as("a late reply is still counted").isEqualTo(1);
    }

    /**
     * One write, the clusters' replies in the order given, and after each reply what the client
     * was answered then ({@code -} for nothing): {@code dc2 +OK 2 > +OK 2} means dc2 answers
     * {@code +OK 2} and the client then gets {@code +OK 2}. dc1 is the local cluster.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            first  | dc1 -ERR 1 > - ; dc2 -ERR 2 > - ; dc3 +OK 3 > +OK 3
            first  | dc2 +OK 2 > - ; dc1 +OK 1 > +OK 2 ; dc3 +OK 3 > -
            first  | dc2 -ERR 2 > - ; dc1 -ERR 1 > - ; dc3 -ERR 3 > -ERR 2
            first  | dc3 +OK 3 > - ; dc1 -ERR 1 > +OK 3 ; dc2 +OK 2 > -
            first  | dc1 +OK 1 > +OK 1 ; dc3 +OK 3 > - ; dc2 +OK 2 > -
            all    | dc1 +OK 1 > - ; dc3 -ERR WRONGTYPE > -ERR WRONGTYPE ; dc2 +OK 2 > -
            all    | dc2 +OK 2 > - ; dc1 +OK 1 > - ; dc3 +OK 3 > +OK 2
            quorum | dc2 -ERR 2 > - ; dc3 +OK 3 > - ; dc1 +OK 1 > +OK 3
            quorum | dc1 +OK 1 > - ; dc2 -ERR 2 > - ; dc3 -ERR 3 > -ERR 2
            local  | dc2 +OK 2 > - ; dc3 +OK 3 > - ; dc1 +OK 1 > +OK 2
            local  | dc2 +OK 2 > - ; dc1 -ERR 1 > -ERR 1 ; dc3 +OK 3 > -
            local  | dc1 +OK 1 > +OK 1 ; dc2 -ERR 2 > - ; dc3 -ERR 3 > -
            """)
    void theClientIsAnsweredOnceAtThePolicysVerdict(String policy, String script) {
        EmbeddedChannel client = clientOf(policy);
        engine.send(client, "SET k v");
        for (String step : script.split(";")) {
            String[] replyAndAnswer = step.split(">");
            String[] clusterAndReply = replyAndAnswer[0].trim().split(" ", 2);
            Cluster from = clusterAndReply[0].equals("dc1") ? dc1 : clusterAndReply[0].equals("dc2") ? dc2 : dc3;
            reply(from, clusterAndReply[1]);
            String answer = replyAndAnswer[1].trim();
            assertThat(received(client)).as(step).isEqualTo(answer.equals("-") ? "" : answer + "\r\n");
        }
    }

    @Test
    void quorumOfThreeAnswersAtTheSecondSuccessAndFailsAtTheSecondError() {
        EmbeddedChannel client = clientOf("quorum");
        engine.send(client, "SET a 1", "SET b 2");
        reply(dc1, "+OK a1", "-ERR b1");
        assertThat(received(client)).isEmpty();
        reply(dc2, "-ERR a2", "-ERR b2");
        assertThat(received(client)).as("b is lost, but a is still open and answered first").isEmpty();
        reply(dc3, "+OK a3");
        assertThat(received(client)).isEqualTo("+OK a1\r\n-ERR b1\r\n");
    }

    @Test
    void aClusterThatIsDownCountsAsFailedAndKeepsTheWriteForReplay() {
        dc1 = engine.cluster("dc1", true);
        dc2 = engine.cluster("dc2", false);
        engine.connect(dc1.nodes()[0]);
        EmbeddedChannel client = engine.client(engine.listener("all", dc1, dc2));

        engine.send(client, "SET k v");

        assertThat(received(client)).as("all cannot be met: answered at once").isEqualTo(
                "-ERR SET failed on 1 of 2 clusters (write policy not met): node 127.0.0.1:10001 of cluster dc2 is down\r\n");
        assertThat(sent(engine.backend(dc1))).as("the others still get it").isEqualTo("SET k v\r\n");
        assertThat(dc2.nodes()[0].replay.pending()).isEqualTo(1);
        reply(dc1, "+OK");
        assertThat(received(client)).isEmpty();
    }

    @Test
    void whenNoClusterAnswersTheClientGetsTheEnginesErrorWithTheLastFailure() {
        dc1 = engine.cluster("dc1", true);
        dc2 = engine.cluster("dc2", false);
        EmbeddedChannel client = engine.client(engine.listener("first", dc1, dc2));

        engine.send(client, "SET k v");

        assertThat(received(client)).isEqualTo(
                "-ERR SET failed on 2 of 2 clusters (write policy not met): node 127.0.0.1:10001 of cluster dc2 is down\r\n");
    }

    @Test
    void pipelinedWritesAreAnsweredInTheirOrderWhateverOrderTheyAreDecidedIn() {
        EmbeddedChannel client = clientOf("first");
        engine.send(client, "SET a 1", "SET b 2");
        reply(dc1, "-ERR a1", "+OK b1"); // b is decided, a is not
        assertThat(received(client)).as("b waits for a").isEmpty();
        reply(dc2, "+OK a2");
        assertThat(received(client)).isEqualTo("+OK a2\r\n+OK b1\r\n");
    }

    @Test
    void aWriteCountsAsInFlightForReadVerificationUntilItsClusterAnsweredOrFailed() {
        dc1 = engine.cluster("dc1", true);
        dc2 = engine.cluster("dc2", false);
        dc1.writes = new WriteTracker();
        dc2.writes = new WriteTracker();
        engine.connect(dc1.nodes()[0]);
        EmbeddedChannel client = engine.client(engine.listener("first", dc1, dc2));
        ByteBuf key = EmbeddedEngine.ascii("k");

        engine.send(client, "SET k v");
        assertThat(dc1.writes.inFlight(key)).isEqualTo(1);
        assertThat(dc1.writes.started(key)).isEqualTo(1);
        assertThat(dc2.nodes()[0].replay.pending()).as("dc2 is down: kept for replay").isEqualTo(1);
        assertThat(dc2.writes.inFlight(key)).as("in flight until replayed").isEqualTo(1);
        assertThat(dc2.writes.started(key)).as("sent, then kept for replay").isEqualTo(2);
        reply(dc1, "+OK");
        assertThat(dc1.writes.inFlight(key)).isZero();
        assertThat(received(client)).isEqualTo("+OK\r\n");
        key.release();
    }

    @Test
    void aFanOutTakenForTheNextWriteStartsFromNothing() {
        EmbeddedChannel client = clientOf("all");
        for (int round = 0; round < 3; round++) {
            engine.send(client, "SET fail " + round);
            reply(dc1, "-ERR no " + round);
            reply(dc2, "+OK");
            reply(dc3, "+OK");
            assertThat(received(client)).isEqualTo("-ERR no " + round + "\r\n");

            engine.send(client, "SET ok " + round);
            reply(dc1, "+OK 1");
            reply(dc2, "+OK 2");
            assertThat(received(client)).as("no failure left over from the write before").isEmpty();
            reply(dc3, "+OK 3");
            assertThat(received(client)).isEqualTo("+OK 1\r\n");
        }
    }
}
