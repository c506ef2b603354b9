package io.metacluster.verify;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A lock-free rate limit: at most {@code perSecond} grants per second on average, with bursts of
 * up to {@code perSecond} (one second's worth). Kept as the theoretical arrival time of the next
 * grant (GCRA), so one CAS per grant and no refill thread. Thread-safe; never blocks.
 */
final class TokenBucket {
    private final long intervalNanos;
    private final long toleranceNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE / 2);

    TokenBucket(int perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("perSecond must be at least 1");
        }
        this.intervalNanos = 1_000_000_000L / perSecond;
        this.toleranceNanos = intervalNanos * (perSecond - 1L);
    }

    boolean tryAcquire() {
        return tryAcquire(System.nanoTime());
    }

    /** @param now a {@link System#nanoTime()} reading */
    boolean tryAcquire(long now) {
        while (true) {
            long current = next.get();
            long base = Math.max(current, now);
            if (base - now > toleranceNanos) {
                return false;
            }
            if (next.compareAndSet(current, base + intervalNanos)) {
                return true;
            }
        }
    }
}
