package io.metacluster.engine;

import io.metacluster.spi.Command;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The writes a node's {@link ReplayLog} keeps, in replay order, with their size and their count in
 * the cluster's {@link WriteTracker}: every entry counts as a write in flight there until it is
 * replayed or dropped, so that read verification does not take the node's missing writes for a
 * divergence. Guarded by the log's lock.
 */
final class KeptWrites {
    /** Writes lost in flight: sent before the node stopped taking writes directly, so replayed first. */
    final ArrayDeque<Command> lost = new ArrayDeque<>();
    /** Writes held back since; after {@link #lost}. */
    final ArrayDeque<Command> waiting = new ArrayDeque<>();
    /** Replayed, not yet acknowledged. */
    final ArrayDeque<Command> sent = new ArrayDeque<>();
    /** Entries the tracker was not told of (read back from disk before it existed); by identity, as entries move. */
    private final Set<Command> untracked = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Node node;
    private long bytes;

    KeptWrites(Node node) {
        this.node = node;
    }

    /** Keeps {@code write} (taking a reference of its own): first among the held-back ones if lost in flight. */
    void keep(Command write, boolean inFlight) {
        (inFlight ? lost : waiting).add(write.retain());
        if (node.cluster.writes != null) {
            node.cluster.writes.sent(write);
        }
        bytes += write.frame().readableBytes();
    }

    /** Keeps a write read back from disk (its reference taken over), before any traffic. */
    void restored(Command write) {
        waiting.add(write);
        untracked.add(write);
        bytes += write.frame().readableBytes();
    }

    int size() {
        return lost.size() + waiting.size() + sent.size();
    }

    long bytes() {
        return bytes;
    }

    /** The next write to replay, or {@code null}. */
    Command next() {
        return (lost.isEmpty() ? waiting : lost).peek();
    }

    /** Moves {@link #next} to the sent ones. */
    void markSent() {
        sent.add((lost.isEmpty() ? waiting : lost).poll());
    }

    /** The oldest sent write was acknowledged: it leaves. */
    void acknowledged() {
        leave(sent.poll());
    }

    /**
     * {@code write}, kept as lost in flight, was answered after all (the node applied it): it leaves
     * without being replayed. False when it is not among them (replayed already, or dropped).
     */
    boolean forgetLost(Command write) {
        for (var entries = lost.iterator(); entries.hasNext(); ) {
            Command entry = entries.next();
            if (entry == write) { // by identity: kept as the very command that is in flight
                entries.remove();
                leave(entry);
                return true;
            }
        }
        return false;
    }

    /** A replay broke off: what was sent goes back to the front, in order. */
    void unsend() {
        while (!sent.isEmpty()) {
            lost.addFirst(sent.pollLast()); // ahead of whatever is left of either
        }
    }

    /** Takes every write not yet sent (the caller owns them), as they leave the log. */
    List<Command> takeUnsent() {
        List<Command> taken = new ArrayList<>(lost);
        taken.addAll(waiting);
        lost.clear();
        waiting.clear();
        for (Command write : taken) {
            untrack(write);
            bytes -= write.frame().readableBytes();
        }
        return taken;
    }

    /** Drops every write kept. */
    void dropAll() {
        for (ArrayDeque<Command> kept : List.of(lost, waiting, sent)) {
            kept.forEach(this::untrack);
        }
        releaseAll();
    }

    /** Lets go of every write kept in memory, as at shutdown (the disk copy stays). */
    void releaseAll() {
        for (ArrayDeque<Command> kept : List.of(lost, waiting, sent)) {
            kept.forEach(Command::release);
            kept.clear();
        }
        untracked.clear();
        bytes = 0;
    }

    private void leave(Command entry) {
        untrack(entry);
        bytes -= entry.frame().readableBytes();
        entry.release();
    }

    private void untrack(Command entry) {
        if (!untracked.remove(entry) && node.cluster.writes != null) {
            node.cluster.writes.done(entry);
        }
    }
}
