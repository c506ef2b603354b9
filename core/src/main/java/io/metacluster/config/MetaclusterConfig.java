package io.metacluster.config;

import java.util.List;

/**
 * The whole configuration file.
 *
 * @param ioThreads Netty I/O threads; 0 = one per available core
 */
public record MetaclusterConfig(int ioThreads, BackendConfig backend, List<ListenerConfig> listeners,
                                List<ClusterConfig> clusters) {
    public MetaclusterConfig {
        backend = backend == null ? BackendConfig.DEFAULTS : backend;
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
    }

    public ClusterConfig cluster(String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }
}
