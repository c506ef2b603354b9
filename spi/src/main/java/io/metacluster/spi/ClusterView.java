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

    /** Whether the cluster can take requests now (its node connections are up). */
    boolean healthy();
}
