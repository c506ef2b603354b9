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

    @SuppressWarnings("unchecked")
    static final java.util.concurrent.ConcurrentLinkedDeque<String> DBG = (java.util.concurrent.ConcurrentLinkedDeque<String>)
            System.getProperties().computeIfAbsent("dbg.events", k -> new java.util.concurrent.ConcurrentLinkedDeque<String>());
    static int ids;
    final int id = ++ids;

    static void dbg(int id, String op, Command write) {
        ByteBuf frame = write.frame();
        DBG.add(System.nanoTime() + " " + Thread.currentThread().getName() + " T" + id + " " + op + " "
                + frame.toString(java.nio.charset.StandardCharsets.ISO_8859_1).replace("\r\n", "|"));
        if (DBG.size() > 200000) {
            DBG.pollFirst();
        }
    }

    void sent(Command write) {
        dbg(id, "sent", write);
        ByteBuf frame = write.frame();
        for (int i = 0; i < write.keyCount(); i++) {
            int bucket = bucket(frame, frame.readerIndex() + write.keyOffset(i), write.keyLength(i));
            started.incrementAndGet(bucket);
            inFlight.incrementAndGet(bucket);
        }
    }

    void done(Command write) {
        dbg(id, "done", write);
        ByteBuf frame = write.frame();
        for (int i = 0; i < write.keyCount(); i++) {
            int b = bucket(frame, frame.readerIndex() + write.keyOffset(i), write.keyLength(i));
            if (inFlight.decrementAndGet(b) < 0) {
                org.slf4j.LoggerFactory.getLogger(WriteTracker.class).warn("DEBUGNEG bucket " + b + " key "
                        + frame.toString(frame.readerIndex() + write.keyOffset(i), write.keyLength(i), java.nio.charset.StandardCharsets.ISO_8859_1)
                        + " frame " + frame.toString(java.nio.charset.StandardCharsets.ISO_8859_1).replace("\r\n", "|"), new Throwable());
            }
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
