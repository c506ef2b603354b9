package io.metacluster.spi;

/**
 * How one fanned-out write stands so far. A cluster that is down, or whose reply is an error,
 * counts as failed. Read-only view owned by the engine; valid only during
 * {@link WritePolicy#judge}.
 */
public interface WriteTally {
    /** Clusters the write was sent to (all of the listener's). */
    int clusters();

    int succeeded();

    int failed();

    /** Clusters marked {@code local: true}. */
    int localClusters();

    int localSucceeded();

    int localFailed();
}
