package io.metacluster.config;

import java.util.List;

/**
 * The configuration resolved for the engine: every extension chosen, every block converted to
 * its typed config once, every default applied. Made by {@link ConfigLoader}, which has refused
 * whatever cannot run; nothing in it is YAML.
 *
 * @param ioThreads Netty I/O threads; 0 = one per available core
 * @param backend   how backend connections behave
 * @param replay    how writes missed by a node that is down are kept and replayed
 * @param listeners in configuration order
 * @param clusters  in configuration order, including those no listener uses
 * @param admin     the admin HTTP endpoint, or {@code null} for none
 * @param shown     the configuration as loaded (defaults applied), as JSON with every secret
 *                  (passwords, tokens) redacted: what the admin endpoint shows
 */
public record Plan(int ioThreads, BackendConfig backend, ReplayConfig replay, List<ListenerPlan> listeners,
                   List<ClusterPlan> clusters, AdminConfig admin, String shown) {
    public Plan {
        listeners = List.copyOf(listeners);
        clusters = List.copyOf(clusters);
    }
}
