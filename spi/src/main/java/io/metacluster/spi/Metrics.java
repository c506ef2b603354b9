package io.metacluster.spi;

/**
 * Where an extension counts and times what it does. The engine owns the registry and its
 * exporters; an extension only names its figures, relative to the scope the engine gave it
 * (for a {@link ReadVerifier}: {@code listener.<name>.verify}, so {@code counter("repaired")} is
 * {@code listener.<name>.verify.repaired}).
 *
 * <p>Thread-safe. Look a figure up once, at creation, and keep it: asking again for the same name
 * returns the same figure, but the lookup is not meant for the request path. Recording is
 * lock-free and cheap enough for every request.
 */
public interface Metrics {

    /**
     * The counter named {@code name} in this scope: a count of events, exported with its rate.
     *
     * @param name dot-separated lower-case words, e.g. {@code skipped.no-reply}
     */
    Counter counter(String name);

    /**
     * The timer named {@code name} in this scope: a distribution of durations (p50, p99, ...).
     *
     * @param name dot-separated lower-case words
     */
    Timer timer(String name);

    /** A count of events. */
    interface Counter {
        /** Counts one event. */
        default void inc() {
            inc(1);
        }

        /** Counts {@code n} events ({@code n >= 0}). */
        void inc(long n);

        /** The events counted since the daemon started. */
        long count();
    }

    /** Durations of one kind of work. */
    interface Timer {
        /** Records one duration of {@code nanos} nanoseconds. */
        void record(long nanos);
    }
}
