package io.metacluster.engine;

import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayList;

/**
 * One flush per channel per read batch. While an event loop handles one channel's read batch
 * (a client's pipelined requests, a backend's replies), the channels it writes to are only
 * marked; each is flushed once when the batch ends. Outside a batch (timers, connects) a flush
 * happens at once. One per event loop thread; never shared.
 */
final class FlushBatch {
    private static final FastThreadLocal<FlushBatch> LOOP = new FastThreadLocal<>() {
        @Override
        protected FlushBatch initialValue() {
            return new FlushBatch();
        }
    };

    private final ArrayList<Channel> pending = new ArrayList<>();
    private boolean open;

    static FlushBatch current() {
        return LOOP.get();
    }

    /** A read batch starts (idempotent: called for every message of the batch). */
    void begin() {
        open = true;
    }

    /** The read batch ended: flush what it wrote. */
    void end() {
        open = false;
        ArrayList<Channel> channels = pending;
        for (int i = 0; i < channels.size(); i++) {
            channels.get(i).flush();
        }
        channels.clear();
    }

    /** {@code channel} was written to: flush it at the end of the batch, or now if there is none. */
    void flush(Channel channel) {
        if (!open) {
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
