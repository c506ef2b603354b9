package io.metacluster.verify;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Holds one thread to at most {@code perSecond} items a second: each call waits for the share of
 * time the previous items took. Time the caller spent elsewhere (a slow SCAN) earns no credit, so
 * no burst above the cap follows a stall. Confined to one thread.
 */
final class Pacer {
    /** Sleeps for the given nanoseconds. */
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final int perSecond;
    private final LongSupplier clock;
    private final Sleeper sleeper;
    /** When the next items may go ({@link System#nanoTime} scale). */
    private long due;

    Pacer(int perSecond) {
        this(perSecond, System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    Pacer(int perSecond, LongSupplier clock, Sleeper sleeper) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("perSecond must be at least 1");
        }
        this.perSecond = perSecond;
        this.clock = clock;
        this.sleeper = sleeper;
        this.due = clock.getAsLong();
    }

    /** Waits until {@code items} more may go, and counts them as gone. */
    void await(int items) throws InterruptedException {
        long now = clock.getAsLong();
        if (due - now < 0) {
            due = now;
        }
        long wait = due - now;
        due += items * 1_000_000_000L / perSecond;
        if (wait > 0) {
            sleeper.sleep(wait);
        }
    }
}
