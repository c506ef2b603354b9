package io.metacluster.e2e;

import io.metacluster.testing.ServerProcess;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Traffic through the proxy while a test breaks a backend: one thread writes new keys
 * {@code new:<n>} = {@code w<n>}, counting those acknowledged; another reads, at random, preloaded
 * keys {@code pre:<i>} and new ones acknowledged at least {@link #SETTLE_MS} before, counting
 * reads that find nothing. (With {@code write: first} a write is acknowledged by the first
 * cluster, and a read at once may reach one it has not landed on yet: that is the write policy's
 * doing, not an outage's.)
 */
final class ReadsAndWrites {
    static final long SETTLE_MS = 500;
    private static final int MAX_WRITES = 1_000_000;

    /** One client connection to the proxy, of whatever protocol. */
    interface Client extends AutoCloseable {
        /** Whether the write was acknowledged. */
        boolean set(String key, String value) throws Exception;

        /** The value, or {@code null} for a miss. */
        String get(String key) throws Exception;
    }

    interface Clients {
        Client open() throws Exception;
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger written = new AtomicInteger();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLongArray acknowledgedAt = new AtomicLongArray(MAX_WRITES);
    private final List<String> missed = Collections.synchronizedList(new ArrayList<>());
    private final Thread writer;
    private final Thread reader;

    ReadsAndWrites(Clients clients, int preloaded) {
        writer = new Thread(() -> {
            try (Client client = clients.open()) {
                while (running.get() && written.get() < MAX_WRITES) {
                    int n = written.get();
                    if (client.set("new:" + n, "w" + n)) {
                        acknowledgedAt.set(n, System.nanoTime());
                        written.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                failures.incrementAndGet();
            }
        });
        reader = new Thread(() -> {
            try (Client client = clients.open()) {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (running.get()) {
                    int acknowledged = written.get();
                    int n = acknowledged == 0 ? 0 : random.nextInt(acknowledged);
                    boolean settled = acknowledged > 0
                            && System.nanoTime() - acknowledgedAt.get(n) > TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
                    String key = random.nextBoolean() || !settled ? "pre:" + random.nextInt(preloaded) : "new:" + n;
                    reads.incrementAndGet();
                    if (client.get(key) == null) {
                        misses.incrementAndGet();
                        if (missed.size() < 20) {
                            missed.add(key + " at " + System.currentTimeMillis() % 100_000);
                        }
                    }
                }
            } catch (Exception e) {
                failures.incrementAndGet();
            }
        });
        writer.start();
        reader.start();
    }

    /**
     * Under this traffic: stops {@code server} (of cluster {@code cluster}), starts it again, empty,
     * half a second later, waits until the daemon resynchronised it and serves every cluster, lets
     * the traffic run half a second more, stops it and prints what it saw.
     */
    void restartEmpty(ServerProcess server, Daemon daemon, String cluster) throws InterruptedException {
        Thread.sleep(500);
        server.stop();
        Thread.sleep(500);
        server.restart();
        daemon.awaitCounter("cluster." + cluster + ".resync.completed", 1);
        daemon.awaitHealthy();
        Thread.sleep(500);
        stop();
        System.out.printf("%s restarted empty: %d reads, %d missed; %d keys written during the test; %d keys walked%n",
                server, reads(), misses(), written(), daemon.counter("cluster." + cluster + ".resync.keys-walked"));
        assertThat(failures()).as("client threads that failed").isZero();
        assertThat(misses()).as("reads that found nothing: %s", missed).isZero();
    }

    void stop() throws InterruptedException {
        running.set(false);
        writer.join();
        reader.join();
    }

    int written() {
        return written.get();
    }

    long reads() {
        return reads.get();
    }

    long misses() {
        return misses.get();
    }

    /** The first keys that read as nothing, with when (ms modulo 100 s), for the failure message. */
    List<String> missed() {
        return missed;
    }

    /** Client threads that ended with an exception (a request that failed, a lost connection). */
    long failures() {
        return failures.get();
    }
}
