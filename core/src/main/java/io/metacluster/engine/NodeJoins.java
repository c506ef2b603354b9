package io.metacluster.engine;

import io.metacluster.config.ClusterPlan;
import io.metacluster.config.ConfigException;
import io.metacluster.config.HostPort;
import io.metacluster.config.Plan;
import io.metacluster.spi.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Connects the nodes a topology discovers while running ({@link Topology#onGrowth}: a master
 * added to a Redis Cluster): the running plan with that cluster's nodes as the topology lists
 * them now, applied as a reload is ({@link Reconfiguration}: the new nodes made, connected and
 * awaited, everything else kept), so a joined node is handled as one added by a reload.
 */
final class NodeJoins {
    private static final Logger log = LoggerFactory.getLogger(NodeJoins.class);

    private NodeJoins() {
    }

    /** Hands every cluster's topology of {@code plan} the way to grow {@code engine}'s cluster. */
    static void watch(Engine engine, Plan plan) {
        for (ClusterPlan cluster : plan.clusters()) {
            Topology topology = cluster.topology();
            topology.onGrowth(nodes -> join(engine, cluster.name(), topology, nodes));
        }
    }

    private static boolean join(Engine engine, String name, Topology topology, List<String> nodes) {
        synchronized (engine) {
            if (engine.closing()) {
                return false;
            }
            Plan plan = engine.plan();
            ClusterPlan was = plan.clusters().stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
            if (was == null || was.topology() != topology || was.protocol() == null) {
                return false;
            }
            List<HostPort> addresses = nodes.stream().map(HostPort::parse).toList();
            if (!addresses.subList(0, Math.min(addresses.size(), was.nodes().size())).equals(was.nodes())) {
                log.warn("cluster {}: the topology's nodes {} do not extend the running ones {}; not connecting",
                        name, addresses, was.nodes());
                return false;
            }
            ClusterPlan next = new ClusterPlan(was.name(), was.local(), addresses, topology, was.protocol(),
                    was.protocolOptions(), was.username(), was.password(), was.database(), was.tls(), was.onNodeDown());
            Plan after = new Plan(plan.ioThreads(), plan.backend(), plan.replay(), plan.resync(), plan.listeners(),
                    plan.clusters().stream().map(c -> c == was ? next : c).toList(), plan.admin(), plan.shown());
            try {
                Reconfiguration.apply(engine, after);
                log.info("cluster {}: {} joined it; connected", name, addresses.subList(was.nodes().size(), addresses.size()));
                return true;
            } catch (Reconfiguration.Refused | ConfigException e) {
                log.warn("cluster {}: could not connect to the nodes that joined it, {}: {}", name,
                        addresses.subList(was.nodes().size(), addresses.size()), e.getMessage());
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
