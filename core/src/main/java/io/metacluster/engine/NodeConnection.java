package io.metacluster.engine;

import io.metacluster.config.BackendConfig;
import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Protocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One pipelined connection to a node, owned by one event loop and shared by every client of
 * that loop. Requests are written as they come; replies come back in the same order and are
 * matched to the oldest request in flight. Reconnects by itself with capped, jittered
 * exponential backoff. Touched only from its event loop.
 *
 * <p>A connection of an eager lane ({@link Protocol#eagerLanes}) is started with the engine; one
 * of a later lane when a request first needs it: requests wait for its first outcome, then are
 * sent, or failed as on a down node.
 *
 * <p>A node that stops answering (a stopped process keeps its TCP connections open) is noticed
 * at {@code suspect-after-ms}, well before {@code request-timeout-ms} closes the connection: when
 * the oldest request has waited that long with nothing at all read from the node meanwhile, its
 * writes in flight go to the replay log at once (so a daemon crash cannot lose them) and the node
 * is suspect: out of read rotation, its writes recorded. An idle connection sends the protocol's
 * handshake again as a heartbeat, so that a node hung while idle is noticed too; and the replay of
 * missed writes starts only once the node answered such a probe. The check is a timer per
 * connection: nothing is added to the path of a request but one field write per read.
 */
final class NodeConnection {
    private final Node node;
    private final EventLoop loop;
    private final int loopIndex;
    private final Protocol protocol;
    private final int lane;
    private final boolean eager;
    private final BackendConfig config;
    private final Bootstrap bootstrap;
    private final CountDownLatch firstOutcome;
    private final InFlight inFlight = new InFlight();

    private Channel channel;
    private boolean started;
    /** Of a lazy lane: what came before its first outcome. */
    private ArrayDeque<Waiting> beforeFirstOutcome;
    private boolean ready;
    private boolean stopped;
    private boolean reported;
    private int failedAttempts;
    private int replies;
    private ScheduledFuture<?> timeoutCheck;
    private ScheduledFuture<?> reconnect;
    /** The codec of the current channel, for the heartbeat: it resends the handshake. */
    private BackendCodec codec;
    /** When the node last sent anything on this connection. */
    private long heardAtNanos;
    private boolean probing;
    /** When {@link #checkTimeout} last ran: a check that runs late finds the event loop was busy, not the node. */
    private long checkedAtNanos;

    NodeConnection(Node node, EventLoop loop, int loopIndex, Protocol protocol, int lane, BackendConfig config,
                   Transport transport, CountDownLatch firstOutcome) {
        this.node = node;
        this.loop = loop;
        this.loopIndex = loopIndex;
        this.protocol = protocol;
        this.lane = lane;
        this.eager = lane < protocol.eagerLanes();
        this.config = config;
        this.firstOutcome = firstOutcome;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMs())
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .remoteAddress(node.address.host(), node.address.port());
    }

    /** Starts connecting; later calls do nothing. */
    void start() {
        if (started) {
            return;
        }
        started = true;
        loop.execute(this::connect);
        long period = TimeUnit.NANOSECONDS.toMillis(checkPeriodNanos());
        timeoutCheck = loop.scheduleAtFixedRate(this::checkTimeout, period, period, TimeUnit.MILLISECONDS);
    }

    void stop() {
        loop.execute(() -> {
            stopped = true;
            reportFirstOutcome(); // what waits for a lazy connection fails, as on a down node
            if (timeoutCheck != null) {
                timeoutCheck.cancel(false);
            }
            if (channel != null) {
                channel.close();
            }
        });
    }

    EventLoop loop() {
        return loop;
    }

    /** Whether nothing sent on it awaits a reply, nor waits to be sent. Called on its event loop. */
    boolean drained() {
        return inFlight.isEmpty() && (beforeFirstOutcome == null || beforeFirstOutcome.isEmpty());
    }

    int connectTimeoutMs() {
        return config.connectTimeoutMs();
    }

    int requestTimeoutMs() {
        return config.requestTimeoutMs();
    }

    boolean isReady() {
        return ready;
    }

    /** Whether it is started with the engine, rather than on first use. */
    boolean eager() {
        return eager;
    }

    /** A lazy connection not yet through its first attempt: requests wait for it. */
    private boolean awaitingFirstOutcome() {
        return !eager && !reported;
    }

    Node node() {
        return node;
    }

    /** The connection of this node, event loop and index that carries {@code otherLane}. */
    NodeConnection sibling(int otherLane) {
        return otherLane == lane ? this : node.connections[loopIndex][otherLane][0];
    }

    /**
     * Sends {@code command}'s frame; {@code listener} hears of the reply or the failure. The
     * command must stay alive until then. Called on this connection's event loop.
     */
    void send(Command command, ReplyListener listener) {
        send(command, listener, false);
    }

    /**
     * Sends a client's write. One the node cannot take now, or whose reply is lost with the
     * connection, goes to the node's replay log (and the listener hears of a failure).
     */
    void write(Command command, ReplyListener listener) {
        ReplayLog replay = node.replay;
        // counted before the state is read: a replay that starts meanwhile sees it in flight
        inFlight.reserveWrite();
        if (replay.holdsWrites() || (!ready && !awaitingFirstOutcome())) {
            inFlight.unreserveWrite();
            replay.record(command);
            listener.onFailure("node " + node.address + " of cluster " + node.cluster.name()
                    + (ready ? " is catching up on missed writes" : " is down"));
            return;
        }
        node.written(command);
        send(command, listener, true);
    }

    /** Clients' writes sent directly on this connection and not answered yet; any thread. */
    int directWrites() {
        return inFlight.directWrites();
    }

    /** {@code write}: a client's write, counted by {@link InFlight#reserveWrite}. */
    private void send(Command command, ReplyListener listener, boolean write) {
        if (!ready && awaitingFirstOutcome()) {
            if (write) {
                inFlight.unreserveWrite(); // decided again, by write(), at the first outcome
            }
            if (beforeFirstOutcome == null) {
                beforeFirstOutcome = new ArrayDeque<>();
            }
            beforeFirstOutcome.add(new Waiting(command, listener, write));
            start();
            return;
        }
        if (!ready) {
            if (write) {
                inFlight.unreserveWrite();
            }
            listener.onFailure("node " + node.address + " of cluster " + node.cluster.name() + " is down");
            return;
        }
        node.metrics.request();
        FlushBatch batch = FlushBatch.current();
        inFlight.add(command, listener, batch.now(), write);
        channel.write(command.frame().retainedDuplicate(), channel.voidPromise());
        batch.flush(channel);
    }

    private void connect() {
        if (stopped || channel != null) {
            return;
        }
        if (!node.mayConnect(this)) {
            reportFirstOutcome();
            scheduleReconnect();
            return;
        }
        ChannelFuture future = bootstrap.clone().handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                channel = ch;
                Cluster cluster = node.cluster;
                if (cluster.tls != null) {
                    ch.pipeline().addLast(Tls.clientHandler(cluster.tls, cluster.config().tls(), ch.alloc(),
                            node.address.host(), node.address.port()));
                }
                codec = node.newCodec(protocol, lane);
                // one connection per node and loop is enough to notice a restart: lane 0's
                ch.pipeline().addLast(new ReplyReader(NodeConnection.this, codec, lane == 0 ? protocol.nodeSync() : null));
            }
        }).connect();
        future.addListener(f -> {
            if (!f.isSuccess()) {
                if (channel == future.channel()) {
                    channel = null;
                }
                node.connectFailed(String.valueOf(f.cause() == null ? "connect failed" : f.cause().getMessage()));
                node.probeEnded(this);
                reportFirstOutcome();
                scheduleReconnect();
            }
        });
    }

    /**
     * Opens a connection of its own to this node on this connection's event loop, with the same
     * options and TLS; {@code reader} makes its handler from a new backend codec of this lane.
     */
    ChannelFuture connectOwn(Function<BackendCodec, ChannelHandler> reader) {
        return bootstrap.clone().handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                Cluster cluster = node.cluster;
                if (cluster.tls != null) {
                    ch.pipeline().addLast(Tls.clientHandler(cluster.tls, cluster.config().tls(), ch.alloc(),
                            node.address.host(), node.address.port()));
                }
                ch.pipeline().addLast(reader.apply(node.newCodec(protocol, lane)));
            }
        }).connect();
    }

    void becomeReady() {
        ready = true;
        probing = false;
        heardAtNanos = System.nanoTime();
        failedAttempts = 0;
        node.connectionReady();
        reportFirstOutcome();
        node.replay.catchUp(this);
    }

    /** The node sent something (part of a reply, maybe): it is not hung, however long a reply takes. */
    void heard(long nowNanos) {
        heardAtNanos = nowNanos;
    }

    /** The command of the next request waiting for a reply, or {@code null}. */
    Command oldest() {
        return inFlight.isEmpty() ? null : inFlight.command();
    }

    /** Whether the listener of the oldest request in flight needs its reply's bytes (see {@link ReplyListener#wantsReply}). */
    boolean oldestWantsReply() {
        return inFlight.listener().wantsReply();
    }

    /** The oldest request's reply: {@code null} when its listener does not want it. */
    void replied(ByteBuf reply, boolean error) {
        ReplyListener listener = inFlight.listener();
        ClusterMetrics metrics = node.cluster.metrics;
        // one reply in 16 feeds the latency histogram: percentiles need a sample, not every request
        if ((++replies & 15) == 0) {
            node.metrics.latency(System.nanoTime() - inFlight.sentAtNanos());
        }
        if (error) {
            metrics.errors.mark();
        }
        boolean write = inFlight.directWrite();
        inFlight.answered(node.replay);
        listener.onReply(reply, error);
        if (write && inFlight.directWrites() == 0 && node.replay.behind()) {
            node.replay.catchUp(this); // the replay was waiting for this write's outcome
        }
    }

    /** The channel closed: fail what was in flight and reconnect. */
    void closed(Channel closedChannel, String reason) {
        if (closedChannel != channel) {
            return;
        }
        channel = null;
        if (ready) {
            ready = false;
            node.connectionLost(reason, stopped);
        } else {
            node.connectFailed(reason);
            node.probeEnded(this);
            reportFirstOutcome();
        }
        String failure = "connection to node " + node.address + " of cluster " + node.cluster.name() + " lost: " + reason;
        while (!inFlight.isEmpty()) {
            Command lost = inFlight.command();
            ReplyListener listener = inFlight.listener();
            boolean write = inFlight.write();
            inFlight.removeOldest();
            if (write) {
                node.replay.recordLost(lost);
            }
            listener.onFailure(failure);
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (stopped) {
            return;
        }
        long cap = config.reconnectMaxMs();
        long delay = Math.min(cap, (long) config.reconnectMinMs() << Math.min(failedAttempts, 20));
        failedAttempts++;
        // "equal jitter": at least half the delay, so a recovering node is not hit by every loop at once
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        reconnect = loop.schedule(this::connect, jittered, TimeUnit.MILLISECONDS);
    }

    /** The node answered another connection's probe: connect now instead of at the end of the backoff. */
    void wakeUp() {
        loop.execute(() -> {
            if (started && !stopped && channel == null) {
                if (reconnect != null) {
                    reconnect.cancel(false);
                }
                failedAttempts = 0;
                connect();
            }
        });
    }

    private void checkTimeout() {
        if (channel == null) {
            return;
        }
        long now = System.nanoTime();
        long suspectAfter = TimeUnit.MILLISECONDS.toNanos(config.suspectAfterMs());
        // a long pass of this loop (a huge pipeline, a pause) delays both the check and the reading
        // of replies that are already there: judge the node only when the loop kept time
        boolean loopKeptTime = now - checkedAtNanos < 2 * checkPeriodNanos();
        checkedAtNanos = now;
        if (!inFlight.isEmpty()) {
            long waited = now - inFlight.sentAtNanos();
            if (waited > TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs())) {
                // replies are matched in order, so a reply that never comes blocks everything behind it
                node.metrics.timeout();
                channel.attr(ReplyReader.CLOSE_REASON).set("no reply within " + config.requestTimeoutMs() + " ms");
                channel.close();
                return;
            }
            if (loopKeptTime && waited > suspectAfter && now - heardAtNanos > suspectAfter) {
                node.replay.suspect("no reply within " + config.suspectAfterMs() + " ms");
                inFlight.recordWrites(node.replay);
            }
        }
        if (ready && !probing && (node.replay.behind() || (inFlight.isEmpty() && now - heardAtNanos > suspectAfter))) {
            probe();
        }
    }

    /**
     * Sends the handshake again: a heartbeat on an idle connection, and the proof that the node
     * answers before its missed writes are replayed through this connection.
     */
    private void probe() {
        List<ByteBuf> requests = codec.handshake(channel.alloc());
        if (requests.isEmpty()) {
            // the protocol has no request to probe with (see BackendCodec#handshake): trust the connection
            heardAtNanos = System.nanoTime();
            node.replay.catchUp(this);
            return;
        }
        probing = true;
        for (int i = 0; i < requests.size(); i++) {
            Command probe = Command.of(requests.get(i), "probe", CommandKind.READ, null, null, lane);
            inFlight.add(probe, new Probe(probe, i == requests.size() - 1), System.nanoTime(), false);
            channel.write(probe.frame().retainedDuplicate(), channel.voidPromise());
        }
        channel.flush();
    }

    /** Hears the answer to one request of a {@link #probe}. */
    private final class Probe implements ReplyListener {
        private final Command command;
        private final boolean last;

        Probe(Command command, boolean last) {
            this.command = command;
            this.last = last;
        }

        @Override
        public boolean wantsReply() {
            return false;
        }

        @Override
        public void onReply(ByteBuf reply, boolean error) {
            command.release();
            if (last) {
                probing = false;
                if (!error) {
                    node.replay.catchUp(NodeConnection.this);
                }
            }
        }

        @Override
        public void onFailure(String reason) {
            command.release();
            if (last) {
                probing = false;
            }
        }
    }

    private long checkPeriodNanos() {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(10, config.suspectAfterMs() / 4));
    }

    private void reportFirstOutcome() {
        if (reported) {
            return;
        }
        reported = true;
        if (eager) {
            firstOutcome.countDown();
            return;
        }
        for (Waiting waiting; beforeFirstOutcome != null && (waiting = beforeFirstOutcome.poll()) != null; ) {
            if (waiting.write) {
                write(waiting.command, waiting.listener);
            } else {
                send(waiting.command, waiting.listener, false);
            }
        }
        beforeFirstOutcome = null;
    }

    private record Waiting(Command command, ReplyListener listener, boolean write) {
    }
}
