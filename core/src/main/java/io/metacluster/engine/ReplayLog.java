package io.metacluster.engine;

import io.metacluster.config.ReplayConfig;
import io.metacluster.spi.Command;
import io.metacluster.spi.Protocol;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The writes one node missed, kept in order until it can take them.
 *
 * <p>While a node is down, every write meant for it is recorded here instead of being sent
 * (and a write lost with a broken connection is recorded too, so it may be applied twice:
 * replay is at-least-once). When the node is reachable again, one of its connections replays
 * the log in order, new writes still queueing behind; only when the log is empty does the node
 * take writes directly and serve reads again. A log that outgrows its bounds is dropped: the
 * node is then resynchronised from a healthy cluster ({@link Resyncs}) where the protocol and the
 * listeners allow, else flushed when reachable ({@code on-overflow: flush}) or kept out of read
 * rotation until an operator acts ({@code stay-out}).
 *
 * <p>Shared by every event loop: state changes take this object's lock, which is never held
 * across I/O; a node that is up costs one volatile read per write.
 */
final class ReplayLog {
    private static final Logger log = LoggerFactory.getLogger(ReplayLog.class);
    /** Replayed writes in flight at once: pipelined, not one round trip each. */
    private static final int WINDOW = 128;

    enum State {
        /** Takes writes directly and serves reads. */
        LIVE,
        /** Missed writes are recorded; no reads. */
        RECORDING,
        /** A connection is sending the log; new writes are still recorded behind it; no reads. */
        REPLAYING,
        /** The log overflowed; the node will be flushed when reachable; writes are dropped; no reads. */
        OVERFLOWED,
        /** The log overflowed; a resync or the operator refills the node: writes go directly, no reads. */
        OUT
    }

    private final Node node;
    private final ReplayConfig config;
    private final ReplayStore store;
    private final Protocol protocol;
    /** Reads stored writes back into commands. */
    private final ReplayEntries entries;

    private volatile State state = State.LIVE;
    private final ArrayDeque<Command> waiting = new ArrayDeque<>();
    private final ArrayDeque<Command> sent = new ArrayDeque<>();
    private long bytes;
    private long replayed;
    private NodeConnection replayer;
    private int generation;
    private int sentLane;
    /** The overflow is being repaired by a resync (not by a flush or the operator). */
    private boolean resyncing;
    /**
     * Entries at the head of the log that the cluster's {@link WriteTracker} was not told of (read
     * back from disk before it existed): every other entry counts as a write in flight there
     * until it is replayed or dropped, so that read verification does not take the node's
     * missing writes for a divergence. Entries leave in order, so a count is enough.
     */
    private int untracked;

    ReplayLog(Node node, ReplayConfig config, ReplayStore store, Protocol protocol, Object protocolOptions) {
        this.node = node;
        this.config = config;
        this.store = store;
        this.protocol = protocol;
        this.entries = new ReplayEntries(node, protocol, protocolOptions);
    }

    /** Takes back what an earlier run left on disk. Called once, before any traffic. */
    void restore() throws IOException {
        if (store == null) {
            return;
        }
        if (store.overflowMarked()) {
            state = overflowState();
            log.warn("node {} overflowed its replay log before the restart; {}", node, overflowAction());
            return;
        }
        List<byte[]> frames = store.load();
        for (byte[] frame : frames) {
            Command command = entries.decode(frame);
            if (command != null) {
                waiting.add(command);
                bytes += frame.length;
            }
        }
        untracked = waiting.size();
        if (!waiting.isEmpty()) {
            state = State.RECORDING;
            log.warn("node {} has {} writes to catch up on from before the restart", node, waiting.size());
        }
    }

    State state() {
        return state;
    }

    /** Whether writes must not be sent to the node directly now. */
    boolean holdsWrites() {
        State now = state;
        return now == State.RECORDING || now == State.REPLAYING || now == State.OVERFLOWED;
    }

    boolean servesReads() {
        return state == State.LIVE;
    }

    synchronized int pending() {
        return waiting.size() + sent.size();
    }

    /** The bytes of the writes {@link #pending}. */
    synchronized long bytes() {
        return bytes;
    }

    /** Whether the node has missed writes to catch up on (or a flush to take). */
    boolean behind() {
        State now = state;
        return now == State.RECORDING || now == State.OVERFLOWED;
    }

    /**
     * The node looks hung ({@code why}): its writes are recorded from now on, and it serves no
     * reads, until it answers a probe and catches up.
     */
    void suspect(String why) {
        synchronized (this) {
            if (state != State.LIVE) {
                return;
            }
            state = State.RECORDING;
        }
        log.warn("node {} looks hung ({}); recording its writes for replay, out of read rotation until it answers",
                node, why);
    }

    /** A write the node did not get. Does not take over the caller's reference. */
    void record(Command write) {
        synchronized (this) {
            if (state == State.OUT || state == State.OVERFLOWED) {
                return;
            }
            int size = write.frame().readableBytes();
            if (waiting.size() + sent.size() >= config.maxEntries() || bytes + size > config.maxBytes()) {
                overflow();
                return;
            }
            if (state == State.LIVE) {
                state = State.RECORDING;
                log.warn("node {} missed a write; recording its writes for replay, out of read rotation until it catches up", node);
            }
            waiting.add(write.retain());
            if (node.cluster.writes != null) {
                node.cluster.writes.sent(write);
            }
            node.written(write);
            bytes += size;
            if (store != null) {
                store.append(write, protocol.laneRequests(write.lane()));
            }
        }
        node.metrics.writeRecorded();
    }

    /** Starts catching up through {@code connection} if the node needs it and nobody else is at it. */
    void catchUp(NodeConnection connection) {
        State now = state;
        if ((now != State.RECORDING && now != State.OVERFLOWED) || !connection.isReady()) {
            return;
        }
        int claimed;
        synchronized (this) {
            if (replayer != null || (state != State.RECORDING && state != State.OVERFLOWED)) {
                return;
            }
            replayer = connection;
            claimed = ++generation;
            if (state == State.RECORDING) {
                state = State.REPLAYING;
                log.info("node {} is reachable; replaying {} missed writes", node, waiting.size());
            }
        }
        if (state == State.OVERFLOWED) {
            flush(connection, claimed);
        } else {
            pump(claimed);
        }
    }

    /** Sends what the window allows. Runs on the replayer's event loop. */
    private void pump(int claimed) {
        while (true) {
            Command next;
            NodeConnection through;
            synchronized (this) {
                if (claimed != generation) {
                    return;
                }
                next = waiting.peek();
                if (next == null) {
                    if (sent.isEmpty()) {
                        state = State.LIVE;
                        replayer = null;
                        if (store != null) {
                            store.clear();
                        }
                        log.info("node {} caught up ({} writes replayed); back in rotation", node, replayed);
                        replayed = 0;
                    }
                    return;
                }
                // across lanes (memcached text and binary) order holds only if the previous lane is done
                if (sent.size() >= WINDOW || (!sent.isEmpty() && next.lane() != sentLane)) {
                    return;
                }
                through = replayer.sibling(next.lane());
                if (!through.isReady()) {
                    through.start(); // a lane connected on first use: up for the retry
                    abort(claimed, "its lane " + next.lane() + " connection is not up");
                    return;
                }
                sent.add(waiting.poll());
                sentLane = next.lane();
                // an overflow on another loop may release the log's reference while we send
                next.retain();
            }
            through.send(next, new Ack(claimed));
            next.release();
        }
    }

    private final class Ack implements ReplyListener {
        private final int claimed;

        Ack(int claimed) {
            this.claimed = claimed;
        }

        @Override
        public void onReply(ByteBuf reply, boolean error) {
            reply.release();
            synchronized (ReplayLog.this) {
                if (claimed != generation) {
                    return;
                }
                Command done = sent.poll();
                bytes -= done.frame().readableBytes();
                untrack(done);
                done.release();
                replayed++;
            }
            node.metrics.writeReplayed();
            pump(claimed);
        }

        @Override
        public void onFailure(String reason) {
            abort(claimed, reason);
        }
    }

    /** The replay broke off: what was sent but not acknowledged goes back to the front, in order. */
    private void abort(int claimed, String reason) {
        synchronized (this) {
            if (claimed != generation) {
                return;
            }
            generation++;
            while (!sent.isEmpty()) {
                waiting.addFirst(sent.pollLast());
            }
            replayer = null;
            if (state == State.REPLAYING) {
                state = State.RECORDING;
            }
        }
        log.info("replay to node {} paused: {}; will retry", node, reason);
    }

    /**
     * Empties the node, then puts it back in rotation. A lane may hold data of its own (Redis: a
     * database a client SELECTed), so the flush request goes on every lane it decodes onto after
     * that lane's {@link Protocol#laneRequests}; the node is live once all of them succeeded.
     * Called on {@code connection}'s event loop, where its siblings' replies come too.
     */
    private void flush(NodeConnection connection, int claimed) {
        List<Command> flushes = entries.flushRequests();
        int[] left = {flushes.size()};
        boolean[] failed = {false};
        for (Command flush : flushes) {
            connection.sibling(flush.lane()).send(flush, new ReplyListener() {
                @Override
                public void onReply(ByteBuf reply, boolean error) {
                    reply.release();
                    flush.release();
                    if (error && !failed[0]) {
                        failed[0] = true;
                        abort(claimed, "the flush was refused");
                    }
                    if (--left[0] == 0 && !failed[0]) {
                        flushed(claimed);
                    }
                }

                @Override
                public void onFailure(String reason) {
                    flush.release();
                    failed[0] = true;
                    synchronized (ReplayLog.this) {
                        if (claimed == generation) {
                            generation++;
                            replayer = null;
                        }
                    }
                }
            });
        }
    }

    private void flushed(int claimed) {
        synchronized (this) {
            if (claimed != generation) {
                return;
            }
            state = State.LIVE;
            replayer = null;
        }
        if (store != null) {
            store.markOverflowed(false);
        }
        log.warn("node {} was flushed after its replay log overflowed; back in rotation, refilling", node);
    }

    /** Holding the lock: an entry leaves the log (replayed or dropped): no longer in flight for the tracker. */
    private void untrack(Command entry) {
        if (untracked > 0) {
            untracked--;
        } else if (node.cluster.writes != null) {
            node.cluster.writes.done(entry);
        }
    }

    /** Holding the lock: drop everything kept; the node needs a flush or an operator. */
    private void overflow() {
        generation++;
        sent.forEach(this::untrack);
        waiting.forEach(this::untrack);
        waiting.forEach(Command::release);
        sent.forEach(Command::release);
        waiting.clear();
        sent.clear();
        bytes = 0;
        replayer = null;
        state = overflowState();
        if (store != null) {
            store.clear();
            store.markOverflowed(true);
        }
        node.cluster.metrics.replayOverflows.inc();
        log.error("replay log of node {} overflowed (max-entries {}, max-bytes {}); {}", node, config.maxEntries(),
                config.maxBytes(), overflowAction());
    }

    /** Holding the lock (or before traffic): what an overflow leads to; asks for a resync where one is possible. */
    private State overflowState() {
        resyncing = node.resyncs != null && node.resyncs.request(node, false);
        return resyncing || config.onOverflow() == ReplayConfig.OnOverflow.STAY_OUT ? State.OUT : State.OVERFLOWED;
    }

    /** The node was refilled by a resync: an overflowed log no longer matters. */
    void resynced() {
        synchronized (this) {
            if (state != State.OUT) {
                return;
            }
            state = State.LIVE;
            resyncing = false;
        }
        if (store != null) {
            store.markOverflowed(false);
        }
    }

    private String overflowAction() {
        if (resyncing) {
            return "it stays out of read rotation (still written to) until resynchronised from a healthy cluster";
        }
        return config.onOverflow() == ReplayConfig.OnOverflow.FLUSH
                ? "it will be flushed when reachable and refill"
                : "it stays out of read rotation (still written to) until an operator resynchronises it, deletes its"
                + " .overflowed marker in the replay folder and restarts the daemon";
    }

    /** Releases what is kept (at shutdown; the disk copy stays for the next run). */
    synchronized void close() {
        generation++;
        waiting.forEach(Command::release);
        sent.forEach(Command::release);
        waiting.clear();
        sent.clear();
        if (store != null) {
            store.close();
        }
    }
}
