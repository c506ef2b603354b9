package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which keys of a cluster have writes in flight, by hash bucket, so that read verification can
 * tell a real divergence from a write that has not landed yet. Buckets are shared by all event
 * loops (writes of one key may come from clients on any of them); collisions only make the
 * answer more cautious. Only kept for clusters of a listener that verifies reads.
 */
final class WriteTracker {
    private static final int BUCKETS = 4096;

    private final AtomicIntegerArray inFlight = new AtomicIntegerArray(BUCKETS);
    private final AtomicLongArray started = new AtomicLongArray(BUCKETS);

    void sent(Command write) {
        ByteBuf frame = write.frame();
        for (int i = 0; i < write.keyCount(); i++) {
            int bucket = bucket(frame, frame.readerIndex() + write.keyOffset(i), write.keyLength(i));
            // in flight first: a verifier reads started, then in flight; a write it counted as
            // started before its snapshot must then also show as in flight (or be done)
            inFlight.incrementAndGet(bucket);
            started.incrementAndGet(bucket);
        }
    }

    void done(Command write) {
        ByteBuf frame = write.frame();
        for (int i = 0; i < write.keyCount(); i++) {
            inFlight.decrementAndGet(bucket(frame, frame.readerIndex() + write.keyOffset(i), write.keyLength(i)));
        }
    }

    int inFlight(ByteBuf key) {
        return inFlight.get(bucket(key, key.readerIndex(), key.readableBytes()));
    }

    long started(ByteBuf key) {
        return started.get(bucket(key, key.readerIndex(), key.readableBytes()));
    }

    private static int bucket(ByteBuf buf, int from, int length) {
        int hash = 1;
        for (int i = from; i < from + length; i++) {
            hash = 31 * hash + buf.getByte(i);
        }
        return (hash ^ (hash >>> 16)) & (BUCKETS - 1);
    }
}
