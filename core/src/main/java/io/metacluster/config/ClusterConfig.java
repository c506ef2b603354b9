package io.metacluster.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * One copy of the data, as written ({@link ClusterPlan} is what the engine gets).
 *
 * @param name     unique name, referenced by listeners
 * @param local    same datacenter as this daemon: preferred for reads
 * @param topology how keys map to nodes ({@code single} by default, or {@code hash-ring})
 * @param topologyOptions the topology's settings ({@code topology-options}), or {@code null}
 * @param nodes    the backend servers
 * @param username backend user (Redis ACL), optional
 * @param password backend password, optional
 * @param database Redis logical database to select on each connection
 * @param tls      how to reach the nodes over TLS, or {@code null} for plain TCP
 * @param onNodeDown what a sharded cluster does with the keys of a node that is down
 */
record ClusterConfig(String name, boolean local, String topology, ObjectNode topologyOptions, List<HostPort> nodes,
                     String username, String password, int database, TlsConfig tls,
                     ClusterPlan.OnNodeDown onNodeDown) {
    public ClusterConfig {
        onNodeDown = onNodeDown == null ? ClusterPlan.OnNodeDown.FAILOVER_CLUSTER : onNodeDown;
        topology = topology == null ? "single" : topology;
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
    }

    @Override
    public String toString() {
        // keeps the password out of logs and error messages
        return "ClusterConfig[name=" + name + ", local=" + local + ", topology=" + topology + ", nodes=" + nodes
                + ", on-node-down=" + onNodeDown + "]";
    }
}
