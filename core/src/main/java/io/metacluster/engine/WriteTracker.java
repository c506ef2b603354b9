package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which keys of a cluster have writes in flight, by hash bucket, so that read verification can
 * tell a real divergence from a write that has not landed yet. Buckets are shared by all event
 * loops (writes of one key may come from clients on any of them); collisions only make the
 * answer more cautious.
 */
final class WriteTracker {
    private static final int BUCKETS = 4096;

    private final AtomicIntegerArray inFlight = new AtomicIntegerArray(BUCKETS);
    private final AtomicLongArray started = new AtomicLongArray(BUCKETS);

    void sent(Command write) {
        for (int i = 0; i < write.keyCount(); i++) {
            int bucket = bucket(write.key(i));
            started.incrementAndGet(bucket);
            inFlight.incrementAndGet(bucket);
        }
    }

    void done(Command write) {
        for (int i = 0; i < write.keyCount(); i++) {
            inFlight.decrementAndGet(bucket(write.key(i)));
        }
    }

    int inFlight(ByteBuf key) {
        return inFlight.get(bucket(key));
    }

    long started(ByteBuf key) {
        return started.get(bucket(key));
    }

    private static int bucket(ByteBuf key) {
        int hash = 1;
        for (int i = key.readerIndex(); i < key.writerIndex(); i++) {
            hash = 31 * hash + key.getByte(i);
        }
        return (hash ^ (hash >>> 16)) & (BUCKETS - 1);
    }
}
