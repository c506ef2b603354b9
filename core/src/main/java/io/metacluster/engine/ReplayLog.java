package io.metacluster.engine;

import io.metacluster.config.ReplayConfig;
import io.metacluster.spi.Command;
import io.metacluster.spi.Protocol;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 * <p><b>Order.</b> A client's writes reach the node in its order though the node has several
 * connections (event loops, {@code connections-per-node}), each noticing its loss on its own: a
 * write lost in flight was sent before the node stopped taking writes directly, so before every
 * write held back since, and is kept ahead of them ({@link #recordLost}), on disk too; and the
 * replay starts only once no write sent directly is still in flight on any connection, since
 * such a write may yet be lost and recorded.
 *
 * <p>Shared by every event loop: state changes take this object's lock, which is never held
 * across I/O; a node that is up costs one volatile read per write (and its connection two
 * volatile stores of a counter of its own: see {@link InFlight#reserveWrite}).
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
    private final KeptWrites kept;
    private long replayed;
    private NodeConnection replayer;
    private int generation;
    private int sentLane;
    /** The overflow is being repaired by a resync (not by a flush or the operator). */
    private boolean resyncing;
    /** The node left its ring ({@code on-node-down: eject}): it rejoins once flushed. */
    private boolean ejected;

    ReplayLog(Node node, ReplayConfig config, ReplayStore store, Protocol protocol, Object protocolOptions) {
        this.node = node;
        this.config = config;
        this.store = store;
        this.protocol = protocol;
        this.entries = new ReplayEntries(node, protocol, protocolOptions);
        this.kept = new KeptWrites(node);
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
                kept.restored(command);
            }
        }
        if (kept.size() > 0) {
            state = State.RECORDING;
            log.warn("node {} has {} writes to catch up on from before the restart", node, kept.size());
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
        return kept.size();
    }

    /** The bytes of the writes {@link #pending}. */
    synchronized long bytes() {
        return kept.bytes();
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
        if (node.cluster.config().ejects()) {
            node.cluster.nodeDown(node, "looks hung: " + why);
            return;
        }
        synchronized (this) {
            if (state != State.LIVE) {
                return;
            }
            state = State.RECORDING;
        }
        log.warn("node {} looks hung ({}); recording its writes for replay, out of read rotation until it answers",
                node, why);
    }

    /** A write the node did not get: held back, it comes after every write kept. Does not take over the caller's reference. */
    void record(Command write) {
        record(write, false);
    }

    /**
     * A write sent to the node directly whose reply was lost (or that is in flight to a node that
     * looks hung): it was sent before any write held back, so it is replayed before them. Does
     * not take over the caller's reference.
     */
    void recordLost(Command write) {
        record(write, true);
    }

    /**
     * A write {@link #recordLost recorded} while in flight to a node that looked hung got its reply:
     * the node applied it, so it is not replayed (a looping script killed with SCRIPT KILL must not
     * run again). Its disk copy stays until the log is cleared: a crash before that replays it.
     */
    synchronized void answered(Command write) {
        kept.forgetLost(write);
    }

    private void record(Command write, boolean inFlight) {
        synchronized (this) {
            if (state == State.OUT || state == State.OVERFLOWED) {
                return;
            }
            int size = write.frame().readableBytes();
            if (pending() >= config.maxEntries() || kept.bytes() + size > config.maxBytes()) {
                overflow();
                return;
            }
            if (state == State.LIVE) {
                state = State.RECORDING;
                log.warn("node {} missed a write; recording its writes for replay, out of read rotation until it catches up", node);
            }
            kept.keep(write, inFlight);
            node.written(write);
            if (store != null) {
                store.append(write, protocol.laneRequests(write.lane()), inFlight);
            }
        }
        node.metrics.writeRecorded();
    }

    /**
     * Starts catching up through {@code connection} if the node needs it, nobody else is at it,
     * and no write sent directly is still in flight (it may yet be lost and recorded ahead of the
     * log; its connection calls again when it has its outcome).
     */
    void catchUp(NodeConnection connection) {
        State now = state;
        if ((now != State.RECORDING && now != State.OVERFLOWED) || !connection.isReady()) {
            return;
        }
        // read after the state, which the writers read after counting themselves in: one of the two sees the other
        if (node.directWritesInFlight() > 0) {
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
                log.info("node {} is reachable; replaying {} missed writes", node, kept.size());
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
                next = kept.next();
                if (next == null) {
                    if (kept.sent.isEmpty()) {
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
                if (kept.sent.size() >= WINDOW || (!kept.sent.isEmpty() && next.lane() != sentLane)) {
                    return;
                }
                through = replayer.sibling(next.lane());
                if (!through.isReady()) {
                    through.start(); // a lane connected on first use: up for the retry
                    abort(claimed, "its lane " + next.lane() + " connection is not up");
                    return;
                }
                kept.markSent();
                sentLane = next.lane();
                // an overflow on another loop may release the log's reference while we send
                next.retain();
            }
            ReplyListener ack = new Ack(claimed);
            if (node.cluster.topology().redirects()) {
                // its slot may have moved while the node was out (a failover made it a replica, a resharding)
                ack = RedirectFollower.replaying(node, through, next, ack);
            }
            through.send(next, ack);
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
                kept.acknowledged();
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
            kept.unsend();
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
        boolean rejoins;
        synchronized (this) {
            if (claimed != generation) {
                return;
            }
            state = State.LIVE;
            replayer = null;
            rejoins = ejected;
            ejected = false;
        }
        if (rejoins) {
            node.cluster.rejoin(node);
            return;
        }
        if (store != null) {
            store.markOverflowed(false);
        }
        log.warn("node {} was flushed after its replay log overflowed; back in rotation, refilling", node);
    }

    /**
     * The node left its ring ({@code on-node-down: eject}): its keys are written to other nodes
     * now, so what it missed is dropped and nothing more is kept; when it is reachable it is
     * flushed (it may hold values overwritten or deleted meanwhile), then rejoins.
     */
    synchronized void eject() {
        dropAll();
        state = State.OVERFLOWED;
        ejected = true;
        if (store != null) {
            store.clear();
        }
    }

    /** Holding the lock: forgets every write kept, and any replay under way. */
    private void dropAll() {
        generation++;
        kept.dropAll();
        replayer = null;
    }

    /** Holding the lock: drop everything kept; the node needs a flush or an operator. */
    private void overflow() {
        dropAll();
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

    /**
     * Takes every write kept for the node, for the nodes that hold their keys now (a Redis Cluster
     * master replaced by a failover no longer holds any). Only while recording: a replay running,
     * or an overflow, keeps its course. The caller owns the commands.
     */
    List<Command> handOver() {
        List<Command> taken;
        synchronized (this) {
            if (state != State.RECORDING || kept.size() == 0) {
                return List.of();
            }
            taken = kept.takeUnsent();
            generation++;
            state = State.LIVE;
            if (store != null) {
                store.clear();
            }
        }
        log.warn("node {} holds no keys any more; its {} missed writes go to the nodes that hold them now", node, taken.size());
        return taken;
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
        kept.releaseAll();
        if (store != null) {
            store.close();
        }
    }
}
