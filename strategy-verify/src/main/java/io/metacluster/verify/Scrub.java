package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.VerifyContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scrub: { keys-per-second: N }}: walks every key of every cluster of the listener
 * ({@link VerifyContext#walkKeys}), pass after pass, for as long as the daemon runs, and compares
 * each key across the clusters ({@link ScrubKey}), so that keys nobody reads converge too.
 * Every cluster is walked, not only the local one, so that a key present only on a remote
 * cluster is found as well. At most {@code N} keys a second over all walks ({@link Pacer}, in
 * steps of a twentieth of a second); the comparisons run on the event loops, at most
 * {@value #MAX_KEYS_IN_FLIGHT} keys at once, which bounds what waits ahead of clients' requests on
 * the shared backend connections. One thread per listener; a pass at most once a second, one
 * log line each.
 */
final class Scrub implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Scrub.class);
    static final int MAX_KEYS_IN_FLIGHT = 2000;
    private static final long IDLE_MS = 1000;
    private static final long RETRY_MS = 5000;
    /** A pass starts at most once a second. */
    private static final long MIN_PASS_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SampledVerifier verifier;
    private final VerifyContext context;
    /** Keys handed out at once: at most a twentieth of a second's worth, so the cap holds over short spans too. */
    private final int chunk;
    private final Pacer pacer;
    private final Semaphore inFlight = new Semaphore(MAX_KEYS_IN_FLIGHT);
    /** Keys being compared: one a walk lists twice (Redis SCAN may) is not checked twice at once. */
    private final Set<ByteBuffer> underCheck = ConcurrentHashMap.newKeySet();

    Scrub(SampledVerifier verifier, int keysPerSecond) {
        this.verifier = verifier;
        this.context = verifier.context;
        this.chunk = Math.max(1, keysPerSecond / 20);
        this.pacer = new Pacer(keysPerSecond);
    }

    void start() {
        Thread thread = new Thread(this, "metacluster-scrub-" + context.listener());
        thread.setDaemon(true);
        thread.start();
    }

    /** What one pass found; counted from the event loops. */
    static final class Tally {
        final AtomicLong scanned = new AtomicLong();
        final AtomicLong divergent = new AtomicLong();
        final AtomicLong repaired = new AtomicLong();
    }

    @Override
    public void run() {
        long pass = 0;
        try {
            Thread.sleep(IDLE_MS); // the engine is still connecting when the verifier is made
            try {
                context.execute(() -> { });
            } catch (UnsupportedOperationException checking) {
                return; // the verifier of a config check, dropped: it has nothing to walk
            }
            while (true) {
                context.execute(() -> { }); // refused once the daemon stops
                pass++;
                long started = System.nanoTime();
                Tally tally = new Tally();
                List<String> missed = new ArrayList<>();
                long[] walked = {0};
                for (ClusterView cluster : List.copyOf(context.clusters())) {
                    if (!context.canWalkKeys(cluster)) {
                        continue;
                    }
                    if (!cluster.healthy()) {
                        missed.add(cluster.name() + " (not healthy)");
                        continue;
                    }
                    try {
                        context.walkKeys(cluster, keys -> {
                            walked[0] += keys.size();
                            for (int from = 0; from < keys.size(); from += chunk) {
                                List<ByteBuf> part = keys.subList(from, Math.min(keys.size(), from + chunk));
                                pacer.await(part.size());
                                submit(cluster.name(), part, tally);
                            }
                        });
                    } catch (IOException e) {
                        missed.add(cluster.name() + " (" + e.getMessage() + ")");
                    }
                    // the next walk finds the same keys: it looks at them once this one's repairs are over
                    inFlight.acquire(MAX_KEYS_IN_FLIGHT);
                    inFlight.release(MAX_KEYS_IN_FLIGHT);
                }
                long nanos = System.nanoTime() - started;
                verifier.metrics.scrubPasses.inc();
                verifier.metrics.scrubPassTime.record(nanos);
                if (walked[0] > 0 || !missed.isEmpty()) {
                    log.info("scrub of listener {}: pass {} done in {} s: {} keys scanned ({} keys/s), {} divergent, {} repaired{}",
                            context.listener(), pass, String.format("%.1f", nanos / 1e9), tally.scanned.get(),
                            nanos > 0 ? tally.scanned.get() * 1_000_000_000L / nanos : 0, tally.divergent.get(),
                            tally.repaired.get(), missed.isEmpty() ? "" : "; not walked: " + String.join(", ", missed));
                }
                if (walked[0] == 0) {
                    Thread.sleep(missed.isEmpty() ? IDLE_MS : RETRY_MS);
                } else if (nanos < MIN_PASS_NANOS) {
                    // a small keyspace would otherwise be walked, and logged, hundreds of times a second
                    TimeUnit.NANOSECONDS.sleep(MIN_PASS_NANOS - nanos);
                }
            }
        } catch (InterruptedException | RejectedExecutionException stopping) {
            // the daemon stops
        } catch (RuntimeException e) {
            log.error("scrub of listener {} stopped: {}", context.listener(), e.toString(), e);
        }
    }

    /** Hands a batch (borrowed, so copied) to an event loop, once there is room for it. */
    private void submit(String cluster, List<ByteBuf> keys, Tally tally) throws InterruptedException {
        List<ByteBuf> copies = new ArrayList<>(keys.size());
        for (ByteBuf key : keys) {
            ByteBuffer id = ByteBuffer.wrap(ByteBufUtil.getBytes(key));
            if (underCheck.add(id)) {
                copies.add(Unpooled.wrappedBuffer(id.array()));
            }
        }
        inFlight.acquire(copies.size());
        try {
            context.execute(() -> {
                for (ByteBuf key : copies) {
                    new ScrubKey(verifier, cluster, key, tally, () -> {
                        underCheck.remove(ByteBuffer.wrap(ByteBufUtil.getBytes(key)));
                        inFlight.release();
                    }).start();
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.release(copies.size());
            throw e;
        }
    }
}
