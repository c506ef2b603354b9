package io.metacluster.spi;

import java.util.List;

/**
 * Makes the {@link Topology} of a cluster ({@code topology: NAME}). The core ships
 * {@code single} (one node). Called once per cluster at start.
 */
public interface TopologyFactory<C> extends StrategyFactory<C> {
    /** @param nodes the cluster's nodes as {@code host:port}, in configuration order */
    Topology create(C config, List<String> nodes);
}
