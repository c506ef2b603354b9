package io.metacluster.engine;

import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayList;

/**
 * One flush per channel per event-loop pass. While an event loop handles the read batches of
 * the channels that were ready (clients' requests, backends' replies), the channels they write
 * to are only marked; after the last of them, one task flushes each marked channel once. So the
 * requests of many clients that arrived together leave for a backend in one write, as the
 * replies to one client do. Outside a read batch, with nothing pending, a flush happens at once.
 * One per event loop thread; never shared.
 */
final class FlushBatch {
    private static final FastThreadLocal<FlushBatch> LOOP = new FastThreadLocal<>() {
        @Override
        protected FlushBatch initialValue() {
            return new FlushBatch();
        }
    };

    private final ArrayList<Channel> pending = new ArrayList<>();
    private final Runnable flushPending = this::flushPending;
    private boolean open;
    private boolean scheduled;
    /** When the current read batch began: one clock read per batch instead of one per request sent. */
    private long openedAtNanos;

    static FlushBatch current() {
        return LOOP.get();
    }

    /** A read batch starts (idempotent: called for every message of the batch). */
    void begin() {
        if (!open) {
            open = true;
            openedAtNanos = System.nanoTime();
        }
    }

    /** The time, for request timeouts and latencies: within a read batch, when it began. */
    long now() {
        return open ? openedAtNanos : System.nanoTime();
    }

    /**
     * A read batch ended: what it wrote is flushed by a task that the event loop runs after the
     * I/O of this pass, so that the other channels ready in the same pass share the flushes.
     */
    void end() {
        open = false;
        if (!scheduled && !pending.isEmpty()) {
            scheduled = true;
            pending.get(0).eventLoop().execute(flushPending);
        }
    }

    private void flushPending() {
        scheduled = false;
        ArrayList<Channel> channels = pending;
        for (int i = 0; i < channels.size(); i++) {
            channels.get(i).flush();
        }
        channels.clear();
    }

    /** {@code channel} was written to: flush it at the end of the batch, or now if there is none. */
    void flush(Channel channel) {
        if (!open && !scheduled) {
            channel.flush();
            return;
        }
        int size = pending.size();
        if (size > 0 && pending.get(size - 1) == channel) {
            return;
        }
        for (int i = 0; i < size - 1; i++) {
            if (pending.get(i) == channel) {
                return;
            }
        }
        pending.add(channel);
    }
}
