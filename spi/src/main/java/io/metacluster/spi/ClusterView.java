package io.metacluster.spi;

/**
 * A cluster as seen by strategies. Health is the engine's current view from the calling event
 * loop; it can change between two calls. Implementations are the engine's and cheap to query.
 */
public interface ClusterView {
    /** The configured name. */
    String name();

    /** Whether the cluster is marked {@code local: true} (same datacenter as this daemon). */
    boolean local();

    /**
     * Whether the cluster can take requests now: some node of it is connected and not catching
     * up on missed writes. A sharded cluster with a node down stays healthy; a read of that
     * node's keys fails at once and is offered to the selector again without the cluster.
     */
    boolean healthy();

    /**
     * The cluster's recent 99th-percentile reply time, in nanoseconds, as the engine measures it:
     * from sending a request (read or write) to a node until its reply, one reply in 16
     * sampled, recent replies weighted most (the {@code cluster.NAME.latency} metric). Refreshed
     * once a second, so reading it costs one volatile read; {@code 0}
     * while nothing was measured yet (and, for {@link StrategyFactory#validate}, always).
     *
     * @since SPI 0.2.1
     */
    default long latencyNanos() {
        return 0;
    }
}
