package io.metacluster.config;

import java.util.List;

/**
 * The whole configuration file as written, bound by Jackson; {@link PlanResolver} turns it into a {@link Plan}.
 *
 * @param ioThreads Netty I/O threads; 0 = one per available core
 * @param backend   how backend connections behave
 * @param replay    how writes missed by a node that is down are kept and replayed
 * @param admin     the admin HTTP endpoint, or {@code null} for none
 */
record MetaclusterConfig(int ioThreads, BackendConfig backend, ReplayConfig replay, List<ListenerConfig> listeners,
                         List<ClusterConfig> clusters, AdminConfig admin) {
    public MetaclusterConfig {
        backend = backend == null ? BackendConfig.DEFAULTS : backend;
        replay = replay == null ? ReplayConfig.DEFAULTS : replay;
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
    }
}
