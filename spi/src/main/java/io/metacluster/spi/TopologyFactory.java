package io.metacluster.spi;

import java.util.List;

/**
 * Makes the {@link Topology} of a cluster ({@code topology: NAME}). The core ships
 * {@code single} (one node) and {@code hash-ring}; the Redis plugin {@code redis-cluster}, whose
 * {@link #create} asks the listed seed nodes for the cluster's map (bounded by its timeout).
 *
 * <p>{@link #create} is called once per cluster while the config is checked (at start and by
 * {@code --check}), after {@link #validate} (which sees that one cluster), off the event loops.
 * A {@link RuntimeException} it throws refuses the config: an {@link IllegalArgumentException}
 * is reported at the cluster's {@code nodes}, anything else at its {@code topology}.
 */
public interface TopologyFactory<C> extends StrategyFactory<C> {
    /** @param nodes the cluster's nodes as {@code host:port}, in configuration order */
    Topology create(C config, List<String> nodes);

    /**
     * {@link #create(Object, List)} with how the nodes are reached: the engine calls this one. A
     * topology that talks to the nodes itself (redis-cluster's map queries) authenticates and
     * uses TLS as the engine's connections do; the default ignores {@code access}.
     *
     * @since SPI 0.2.3
     */
    default Topology create(C config, List<String> nodes, NodeAccess access) {
        return create(config, nodes);
    }
}
