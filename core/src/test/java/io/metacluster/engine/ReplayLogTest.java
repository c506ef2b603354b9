package io.metacluster.engine;

import io.metacluster.config.ReplayConfig;
import io.metacluster.config.ReplayConfig.OnOverflow;
import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.ForwardingClientCodec;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.CommandKind;
import io.metacluster.testing.EmbeddedSocketChannel;
import io.metacluster.testing.LineProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.metacluster.engine.EmbeddedEngine.received;
import static io.metacluster.engine.EmbeddedEngine.sent;
import static io.metacluster.engine.EmbeddedEngine.sentLines;
import static io.metacluster.engine.ReplayLog.State.LIVE;
import static io.metacluster.engine.ReplayLog.State.OUT;
import static io.metacluster.engine.ReplayLog.State.OVERFLOWED;
import static io.metacluster.engine.ReplayLog.State.RECORDING;
import static io.metacluster.engine.ReplayLog.State.REPLAYING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replay log of one node, through its life: live; recording the writes it misses (down, or
 * a write lost with its connection), out of read rotation; replaying them in order on reconnect,
 * pipelined, new writes queueing behind; caught up and back in rotation. A node that drops
 * mid-replay resumes from its first unacknowledged write; a log that overflows is dropped and the
 * node flushed (or kept out); a replay that was given up on ignores its late acknowledgements;
 * the log outlives a daemon restart. Driven through a real node connection, on the wire.
 */
class ReplayLogTest {
    /** As often as a connection checks whether its node needs catching up: a quarter of the request timeout. */
    private static final long CHECK_PERIOD_MS = EmbeddedEngine.BACKEND.requestTimeoutMs() / 4;

    @TempDir
    Path dir;
    private final EmbeddedEngine engine = new EmbeddedEngine();
    private final List<ExecutorService> replayIo = new ArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        engine.close();
        for (ExecutorService io : replayIo) {
            io.shutdown();
            assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** The node under test: the one node of a cluster whose replay log is {@code config}. */
    private Node node(ReplayConfig config) {
        return engine.cluster("dc2", false, 1, config, 1).nodes()[0];
    }

    private Node node() {
        return node(EmbeddedEngine.MEMORY_REPLAY);
    }

    private static ReplayConfig bounded(long maxEntries, long maxBytes, OnOverflow onOverflow) {
        return new ReplayConfig("", maxEntries, maxBytes, onOverflow);
    }

    /** Writes the node missed, as its connections record them. */
    private void record(Node node, String... writes) {
        record(engine, node, writes);
    }

    private static void record(EmbeddedEngine engine, Node node, String... writes) {
        for (String write : writes) {
            Command command = engine.command(write);
            node.replay.record(command);
            command.release(); // the log keeps a reference of its own
        }
    }

    private static String[] writes(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "SET k" + i + " " + i).toArray(String[]::new);
    }

    private static String[] oks(int count) {
        return Collections.nCopies(count, "+OK").toArray(String[]::new);
    }

    private static void assertState(Node node, ReplayLog.State state, int pending) {
        assertThat(node.replay.state()).isEqualTo(state);
        assertThat(node.replay.pending()).as("pending").isEqualTo(pending);
        assertThat(node.replay.servesReads()).as("serves reads").isEqualTo(state == LIVE);
        assertThat(node.cluster.perLoop[0].healthy()).as("cluster healthy").isEqualTo(state == LIVE
                && node.connections[0][0][0].isReady());
    }

    @Test
    void aNodeThatIsUpTakesWritesDirectlyAndServesReads() {
        Node node = node();
        engine.connect(node);
        EmbeddedChannel client = engine.client(engine.listener("first", node.cluster));

        assertState(node, LIVE, 0);
        assertThat(node.replay.holdsWrites()).isFalse();
        engine.send(client, "SET a 1");
        assertThat(sent(engine.backend(node))).isEqualTo("SET a 1\r\n");
        engine.reply(engine.backend(node), "+OK");
        assertThat(received(client)).isEqualTo("+OK\r\n");
        assertState(node, LIVE, 0);
    }

    @Test
    void aWriteTheNodeMissesIsRecordedAndTheNodeLeavesReadRotation() {
        Node node = node();
        EmbeddedChannel client = engine.client(engine.listener("first", node.cluster));

        engine.send(client, "SET a 1", "SET b 2");

        assertState(node, RECORDING, 2);
        assertThat(node.replay.holdsWrites()).isTrue();
        assertThat(received(client)).isEqualTo(
                "-ERR SET failed on 1 of 1 clusters (write policy not met): node 127.0.0.1:10000 of cluster dc2 is down\r\n"
                + "-ERR SET failed on 1 of 1 clusters (write policy not met): node 127.0.0.1:10000 of cluster dc2 is down\r\n");
        assertThat(engine.metrics.counter("cluster.dc2.replay.recorded").getCount()).isEqualTo(2);
        assertThat(engine.metrics.counter("cluster.dc2.writes-missed").getCount()).isEqualTo(2);
    }

    @Test
    void onReconnectTheMissedWritesAreReplayedInOrderAndNewOnesQueueBehindThem() {
        Node node = node();
        EmbeddedChannel client = engine.client(engine.listener("first", node.cluster));
        record(node, writes(1, 3));

        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sentLines(backend)).containsExactly(writes(1, 3));
        assertState(node, REPLAYING, 3);

        engine.send(client, "SET new 4");
        assertThat(sent(backend)).as("a new write is not sent past the replay").isEmpty();
        assertThat(received(client)).contains("is catching up on missed writes");
        assertState(node, REPLAYING, 4);

        engine.reply(backend, oks(3));
        assertThat(sentLines(backend)).containsExactly("SET new 4");
        assertState(node, REPLAYING, 1);
        engine.reply(backend, "+OK");
        assertState(node, LIVE, 0);
        assertThat(engine.metrics.counter("cluster.dc2.replay.replayed").getCount()).isEqualTo(4);

        engine.send(client, "SET after 5");
        assertThat(sent(backend)).as("caught up: writes go directly").isEqualTo("SET after 5\r\n");
        engine.reply(backend, "+OK");
        assertThat(received(client)).isEqualTo("+OK\r\n");
    }

    @Test
    void anErrorReplyToAReplayedWriteStillCountsAsDelivered() {
        // the node answered: replaying it again would give the same answer
        Node node = node();
        record(node, writes(1, 2));
        engine.connect(node);
        sent(engine.backend(node));

        engine.reply(engine.backend(node), "-ERR wrong type", "+OK");

        assertState(node, LIVE, 0);
    }

    @Test
    void theReplayIsPipelinedAtMost128WritesAtATime() {
        Node node = node();
        record(node, writes(1, 200));

        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sentLines(backend)).containsExactly(writes(1, 128));
        engine.reply(backend, "+OK");
        assertThat(sentLines(backend)).as("one acknowledged, one more sent").containsExactly("SET k129 129");
        engine.reply(backend, oks(128));
        assertThat(sentLines(backend)).containsExactly(writes(130, 200));
        assertState(node, REPLAYING, 71);
        engine.reply(backend, oks(71));
        assertState(node, LIVE, 0);
    }

    @Test
    void aWriteKeptWhileInFlightThatIsAnsweredAfterAllIsNotReplayed() {
        // a node that looked hung (a script looping on it) answers after all: replaying would apply it twice
        Node node = node();
        Command inFlight = engine.command("INCR n");
        node.replay.recordLost(inFlight);
        record(node, "SET later 1");
        assertState(node, RECORDING, 2);
        node.replay.answered(inFlight);
        node.replay.answered(inFlight); // a second reply to the same write changes nothing
        inFlight.release();
        assertState(node, RECORDING, 1);

        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sentLines(backend)).containsExactly("SET later 1");
        engine.reply(backend, "+OK");
        assertState(node, LIVE, 0);
    }

    @Test
    void aNodeThatDropsMidReplayResumesFromItsFirstUnacknowledgedWrite() {
        Node node = node();
        record(node, writes(1, 5));
        engine.connect(node);
        EmbeddedSocketChannel first = engine.backend(node);
        assertThat(sentLines(first)).containsExactly(writes(1, 5));
        engine.reply(first, "+OK", "+OK");
        record(node, writes(6, 6));

        first.close();
        engine.run();
        assertState(node, RECORDING, 4);
        record(node, writes(7, 7));

        engine.connect(node);
        EmbeddedSocketChannel second = engine.backend(node);
        assertThat(second).isNotSameAs(first);
        assertThat(sentLines(second)).as("sent again: replay is at-least-once, in order").containsExactly(writes(3, 7));
        engine.reply(second, oks(5));
        assertState(node, LIVE, 0);
        assertThat(engine.metrics.counter("cluster.dc2.replay.replayed").getCount()).isEqualTo(7);
    }

    @Test
    void aReplayOverTwoLanesSendsEachRunOfALaneOnceThePreviousRunWasAcknowledged() {
        // across the lanes (memcached text and binary connections) the order holds only that way
        try (EmbeddedEngine lanes = new EmbeddedEngine(LineProtocol.withHelloAndTwoLanes())) {
            Node node = lanes.cluster("dc2", false, 1, EmbeddedEngine.MEMORY_REPLAY, 1).nodes()[0];
            record(lanes, node, "SET a 1", "SET b 2", "SET2 c 3", "SET d 4");
            lanes.connect(node);
            EmbeddedSocketChannel lane0 = lanes.backends(node).get(0);
            EmbeddedSocketChannel lane1 = lanes.backends(node).get(1);
            assertThat(sentLines(lane0)).containsExactly("HELLO");
            assertThat(sentLines(lane1)).containsExactly("HELLO");
            assertState(node, RECORDING, 4);

            lanes.reply(lane0, "+HELLO");
            assertThat(sentLines(lane0)).containsExactly("SET a 1", "SET b 2");
            assertState(node, REPLAYING, 4);
            lanes.reply(lane0, "+OK");
            assertThat(sent(lane0) + sent(lane1)).as("c waits for b").isEmpty();

            lanes.reply(lane0, "+OK");
            assertThat(sent(lane1)).as("c's lane is not up yet").isEmpty();
            assertState(node, RECORDING, 2);

            lanes.reply(lane1, "+HELLO");
            assertThat(sentLines(lane1)).containsExactly("SET2 c 3");
            assertThat(sent(lane0)).as("d waits for c").isEmpty();
            lanes.reply(lane1, "+OK");
            assertThat(sentLines(lane0)).containsExactly("SET d 4");
            lanes.reply(lane0, "+OK");
            assertState(node, LIVE, 0);
        }
    }

    @Test
    void aWriteLostWithItsConnectionIsRecordedAndReplayed() {
        Node node = node();
        engine.connect(node);
        EmbeddedChannel client = engine.client(engine.listener("first", node.cluster));
        engine.send(client, "SET a 1", "SET b 2");
        EmbeddedSocketChannel first = engine.backend(node);
        assertThat(sentLines(first)).containsExactly("SET a 1", "SET b 2");
        engine.reply(first, "+OK");

        first.close();
        engine.run();
        assertState(node, RECORDING, 1);
        assertThat(received(client)).startsWith("+OK\r\n-ERR SET failed on 1 of 1 clusters")
                .contains("connection to node 127.0.0.1:10000 of cluster dc2 lost");

        engine.connect(node);
        assertThat(sentLines(engine.backend(node))).containsExactly("SET b 2");
        engine.reply(engine.backend(node), "+OK");
        assertState(node, LIVE, 0);
    }

    @Test
    void aLogOverflowingItsEntriesIsDroppedAndTheNodeFlushedWhenBack() {
        Node node = node(bounded(3, 1 << 20, OnOverflow.FLUSH));
        record(node, writes(1, 3));
        assertState(node, RECORDING, 3);

        record(node, writes(4, 4));
        assertState(node, OVERFLOWED, 0);
        assertThat(node.replay.holdsWrites()).as("writes are dropped until the flush").isTrue();
        assertThat(engine.metrics.counter("cluster.dc2.replay.overflows").getCount()).isEqualTo(1);
        record(node, writes(5, 9));
        assertState(node, OVERFLOWED, 0);

        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sentLines(backend)).as("only the flush, none of the dropped writes").containsExactly("FLUSH");
        assertState(node, OVERFLOWED, 0);
        engine.reply(backend, "+OK");
        assertState(node, LIVE, 0);
        assertThat(node.replay.holdsWrites()).isFalse();
    }

    @Test
    void aLogOverflowingItsBytesOverflowsToo() {
        Node node = node(bounded(1000, 20, OnOverflow.FLUSH));
        record(node, "SET a 1", "SET b 2"); // 9 bytes each, with their \r\n
        assertState(node, RECORDING, 2);
        record(node, "SET c 3");
        assertState(node, OVERFLOWED, 0);
    }

    @Test
    void aRefusedFlushIsTriedAgainAtTheNextCheck() {
        Node node = node(bounded(1, 1 << 20, OnOverflow.FLUSH));
        record(node, writes(1, 2));
        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sentLines(backend)).containsExactly("FLUSH");

        engine.reply(backend, "-ERR not now");
        assertState(node, OVERFLOWED, 0);
        assertThat(sent(backend)).isEmpty();

        engine.advance(CHECK_PERIOD_MS);
        assertThat(sentLines(backend)).containsExactly("FLUSH");
        engine.reply(backend, "+OK");
        assertState(node, LIVE, 0);
    }

    @Test
    void aFlushLostWithItsConnectionIsSentAgainOnReconnect() {
        Node node = node(bounded(1, 1 << 20, OnOverflow.FLUSH));
        record(node, writes(1, 2));
        engine.connect(node);
        EmbeddedSocketChannel first = engine.backend(node);
        assertThat(sentLines(first)).containsExactly("FLUSH");

        first.close();
        engine.run();
        assertState(node, OVERFLOWED, 0);
        engine.connect(node);
        assertThat(sentLines(engine.backend(node))).containsExactly("FLUSH");
        engine.reply(engine.backend(node), "+OK");
        assertState(node, LIVE, 0);
    }

    @Test
    void anOverflowDuringAReplayEndsItAndItsLateAcknowledgementsAreIgnored() {
        Node node = node(bounded(4, 1 << 20, OnOverflow.FLUSH));
        record(node, writes(1, 3));
        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sentLines(backend)).containsExactly(writes(1, 3));
        record(node, writes(4, 4));
        assertState(node, REPLAYING, 4);

        record(node, writes(5, 5));
        assertState(node, OVERFLOWED, 0);
        engine.reply(backend, oks(3)); // acknowledgements of a replay that was given up
        assertState(node, OVERFLOWED, 0);
        assertThat(engine.metrics.counter("cluster.dc2.replay.replayed").getCount()).isZero();
        assertThat(sent(backend)).as("nothing more of the dropped log").isEmpty();

        engine.advance(CHECK_PERIOD_MS);
        assertThat(sentLines(backend)).containsExactly("FLUSH");
        engine.reply(backend, "+OK");
        assertState(node, LIVE, 0);
    }

    @Test
    void stayOutKeepsAnOverflowedNodeOutOfReadsAndWritesItDirectly() {
        Node node = node(bounded(1, 1 << 20, OnOverflow.STAY_OUT));
        EmbeddedChannel client = engine.client(engine.listener("first", node.cluster));
        record(node, writes(1, 2));
        assertState(node, OUT, 0);
        assertThat(node.replay.holdsWrites()).isFalse();

        engine.connect(node);
        EmbeddedSocketChannel backend = engine.backend(node);
        assertThat(sent(backend)).as("no flush: an operator resynchronises it").isEmpty();
        engine.send(client, "SET a 1");
        assertThat(sent(backend)).isEqualTo("SET a 1\r\n");
        engine.reply(backend, "+OK");
        assertThat(received(client)).isEqualTo("+OK\r\n");
        record(node, writes(3, 3));
        engine.advance(CHECK_PERIOD_MS);
        assertState(node, OUT, 0);
        assertThat(sent(backend)).isEmpty();
    }

    /**
     * A node with two connections (several event loops, or connections-per-node: 2), a client on
     * each with a write in flight ({@code SET k 1} on one's, {@code SET j 1} on the other's); the
     * other client's connection is then lost, so the node is behind.
     */
    private record TwoConnections(Node node, EmbeddedChannel one, EmbeddedSocketChannel ofOne) {
    }

    private TwoConnections twoConnectionsTheOtherLost() {
        Node node = engine.cluster("dc2", false, 1, EmbeddedEngine.MEMORY_REPLAY, 2).nodes()[0];
        engine.connect(node);
        Listener listener = engine.listener("first", node.cluster);
        EmbeddedChannel one = engine.client(listener);
        EmbeddedChannel other = engine.client(listener); // the next client id: the other connection
        engine.send(one, "SET k 1");
        engine.send(other, "SET j 1");
        EmbeddedSocketChannel ofOne = engine.backends(node).stream()
                .filter(backend -> sent(backend).equals("SET k 1\r\n")).findFirst().orElseThrow();
        EmbeddedSocketChannel ofOther = engine.backends(node).stream().filter(backend -> backend != ofOne)
                .findFirst().orElseThrow();
        ofOther.close();
        engine.run();
        return new TwoConnections(node, one, ofOne);
    }

    private List<String> sentToAnyConnection(Node node) {
        List<String> sent = new ArrayList<>();
        engine.backends(node).forEach(backend -> sent.addAll(sentLines(backend)));
        return sent;
    }

    @Test
    void aClientsWritesAreReplayedInItsOrderWhenTheNodeHasSeveralConnections() {
        TwoConnections rig = twoConnectionsTheOtherLost();
        engine.send(rig.one(), "SET k 2"); // recorded: the node is catching up
        rig.ofOne().close();
        engine.run();

        engine.connect(rig.node());
        assertThat(sentToAnyConnection(rig.node())).as("the client's writes of k, in its order")
                .containsSubsequence("SET k 1", "SET k 2");
    }

    @Test
    void theReplayWaitsForTheWritesStillInFlightOnAnotherConnectionAndPutsALostOneFirst() {
        TwoConnections rig = twoConnectionsTheOtherLost();
        engine.send(rig.one(), "SET k 2"); // held back: the node is behind
        engine.connect(rig.node()); // the other connection is back, the node answers its probe
        engine.advance(CHECK_PERIOD_MS);
        assertThat(sentToAnyConnection(rig.node())).as("no replay while SET k 1 may still be lost").isEmpty();
        assertThat(rig.node().replay.state()).isEqualTo(RECORDING);

        rig.ofOne().close(); // SET k 1 is lost after all
        engine.run();
        engine.advance(CHECK_PERIOD_MS);
        assertThat(sentToAnyConnection(rig.node())).as("lost in flight first, then what was held back")
                .containsSubsequence("SET j 1", "SET k 1", "SET k 2");
    }

    @Test
    void aWriteInFlightThatIsAnsweredLetsTheReplayStartAtOnce() {
        TwoConnections rig = twoConnectionsTheOtherLost();
        engine.send(rig.one(), "SET k 2");
        assertThat(sent(rig.ofOne())).as("held back").isEmpty();
        engine.reply(rig.ofOne(), "+OK"); // SET k 1 arrived: nothing in flight any more, the replay starts here
        assertThat(received(rig.one())).startsWith("+OK\r\n");
        assertThat(sentLines(rig.ofOne())).containsExactly("SET j 1", "SET k 2");
        engine.reply(rig.ofOne(), oks(2));
        assertThat(rig.node().replay.state()).isEqualTo(LIVE);
        assertThat(rig.node().replay.pending()).isZero();
    }

    // persistence

    /** The node under test in a new run of the daemon, its log on disk in {@code dir}, restored as at start. */
    private Node nodeOnDisk(ReplayConfig config) throws Exception {
        return nodeOnDisk(config, engine.protocol, null);
    }

    /** {@link #nodeOnDisk(ReplayConfig)}, its log read back by {@code protocol} with a listener's {@code options}. */
    private Node nodeOnDisk(ReplayConfig config, Protocol protocol, Object options) throws Exception {
        Node node = node(config);
        ExecutorService io = Executors.newSingleThreadExecutor();
        replayIo.add(io);
        node.replay = new ReplayLog(node, config, new ReplayStore(io, dir, "dc2-node", 1 << 20), protocol, options);
        node.replay.restore();
        return node;
    }

    /** The daemon stops: {@code node}'s log is closed and its file work finished. */
    private void shutDown(Node node) throws InterruptedException {
        node.replay.close();
        ExecutorService io = replayIo.get(replayIo.size() - 1);
        io.shutdown();
        assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        node.replay = new ReplayLog(node, EmbeddedEngine.MEMORY_REPLAY, null, engine.protocol, null); // for the rig to close
    }

    @Test
    void theMissedWritesOutliveARestartAndAreReplayedInOrderAfterIt() throws Exception {
        Node before = nodeOnDisk(EmbeddedEngine.MEMORY_REPLAY);
        record(before, writes(1, 3));
        shutDown(before);

        Node after = nodeOnDisk(EmbeddedEngine.MEMORY_REPLAY);
        assertState(after, RECORDING, 3);
        engine.connect(after);
        assertThat(sentLines(engine.backend(after))).containsExactly(writes(1, 3));
        engine.reply(engine.backend(after), oks(3));
        assertState(after, LIVE, 0);
        shutDown(after);

        Node third = nodeOnDisk(EmbeddedEngine.MEMORY_REPLAY);
        assertState(third, LIVE, 0); // caught up before the restart: nothing left on disk
    }

    /** A replay log file left by an earlier run, each of {@code entries} one entry, whatever it holds. */
    private void entriesOnDisk(String... entries) throws InterruptedException {
        ExecutorService io = Executors.newSingleThreadExecutor();
        ReplayStore store = new ReplayStore(io, dir, "dc2-node", 1 << 20);
        for (String entry : entries) {
            Command command = Command.of(EmbeddedEngine.ascii(entry), "SET", CommandKind.WRITE, null, null);
            store.append(command);
            command.release();
        }
        store.close();
        io.shutdown();
        assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anEntryIsReadBackAsTheOneWriteItHoldsWhateverElseCameWithIt() throws Exception {
        entriesOnDisk("PING\r\nSET a 1\r\n", "GET a\r\n", "SET b 2\r\nSET c 3\r\n", "SET d 4\r\n");

        Node node = nodeOnDisk(EmbeddedEngine.MEMORY_REPLAY);
        engine.connect(node);
        assertThat(sentLines(engine.backend(node))).as("a local answer dropped, a read dropped, a trailing write dropped")
                .containsExactly("SET a 1", "SET b 2", "SET d 4");
        engine.reply(engine.backend(node), oks(3));
        assertState(node, LIVE, 0);
    }

    @Test
    void anEntryIsReadBackWithTheProtocolOptionsOfTheListener() throws Exception {
        entriesOnDisk("PUT a 1\r\n", "SET b 2\r\n");

        Node node = nodeOnDisk(EmbeddedEngine.MEMORY_REPLAY, new WithPut(), new WithPut.Options(true));
        engine.connect(node);
        assertThat(sentLines(engine.backend(node))).as("PUT is a write only with the listener's options")
                .containsExactly("PUT a 1", "SET b 2");
        engine.reply(engine.backend(node), oks(2));
        assertState(node, LIVE, 0);
    }

    /** The line protocol, where {@code protocol-options: { put: true }} makes {@code PUT} a write too. */
    private static final class WithPut implements Protocol {
        record Options(boolean put) {
        }

        private final Protocol line = LineProtocol.plain();

        @Override
        public String name() {
            return "line-with-put";
        }

        @Override
        public Class<?> optionsType() {
            return Options.class;
        }

        @Override
        public ClientCodec newClientCodec(ClientLimits limits) {
            return newClientCodec(limits, new Options(false));
        }

        @Override
        public ClientCodec newClientCodec(ClientLimits limits, Object options) {
            ClientCodec codec = line.newClientCodec(limits);
            if (!((Options) options).put()) {
                return codec;
            }
            return new ForwardingClientCodec(codec) {
                @Override
                public Command decode(ByteBuf in) throws ProtocolException {
                    Command command = super.decode(in);
                    if (command == null || !command.name().equals("PUT")) {
                        return command;
                    }
                    Command write = Command.of(command.frame().retain(), "PUT", CommandKind.WRITE, null, null);
                    command.release();
                    return write;
                }
            };
        }

        @Override
        public byte[] flushRequest() {
            return line.flushRequest();
        }

        @Override
        public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
            return line.newBackendCodec(settings, lane);
        }
    }

    @Test
    void anOverflowOutlivesARestart() throws Exception {
        ReplayConfig flush = bounded(1, 1 << 20, OnOverflow.FLUSH);
        Node before = nodeOnDisk(flush);
        record(before, writes(1, 2));
        assertState(before, OVERFLOWED, 0);
        shutDown(before);

        Node after = nodeOnDisk(flush);
        assertState(after, OVERFLOWED, 0);
        engine.connect(after);
        assertThat(sentLines(engine.backend(after))).containsExactly("FLUSH");
        engine.reply(engine.backend(after), "+OK");
        assertState(after, LIVE, 0);
        shutDown(after);

        Node third = nodeOnDisk(flush);
        assertState(third, LIVE, 0); // the flush cleared the marker
    }

    @Test
    void stayOutOutlivesARestart() throws Exception {
        ReplayConfig stayOut = bounded(1, 1 << 20, OnOverflow.STAY_OUT);
        Node before = nodeOnDisk(stayOut);
        record(before, writes(1, 2));
        shutDown(before);

        Node after = nodeOnDisk(stayOut);
        assertState(after, OUT, 0);
    }
}
