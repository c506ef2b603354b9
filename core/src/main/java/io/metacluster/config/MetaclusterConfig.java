package io.metacluster.config;

import java.util.List;

/**
 * The whole configuration file.
 *
 * @param ioThreads Netty I/O threads; 0 = one per available core
 * @param backend   how backend connections behave
 * @param replay    how writes missed by a node that is down are kept and replayed
 */
public record MetaclusterConfig(int ioThreads, BackendConfig backend, ReplayConfig replay, List<ListenerConfig> listeners,
                                List<ClusterConfig> clusters) {
    public MetaclusterConfig {
        backend = backend == null ? BackendConfig.DEFAULTS : backend;
        replay = replay == null ? ReplayConfig.DEFAULTS : replay;
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
    }

    public ClusterConfig cluster(String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }
}
