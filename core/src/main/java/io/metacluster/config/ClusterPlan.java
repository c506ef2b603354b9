package io.metacluster.config;

import io.metacluster.spi.Protocol;
import io.metacluster.spi.Topology;

import java.util.List;

/**
 * One cluster, resolved: its topology made, the protocol its listeners speak to it.
 *
 * @param name     unique name
 * @param local    same datacenter as this daemon: preferred for reads
 * @param nodes    the backend servers, in configuration order (the topology's node indexes)
 * @param topology how keys map to {@code nodes}
 * @param protocol the protocol of the listeners that use it (a cluster speaks one), or
 *                 {@code null} when no listener uses it
 * @param protocolOptions the {@code protocol-options} of the first listener (in configuration order)
 *                 that uses it, for the codec that reads its replay log back: a codec built
 *                 without them may refuse writes its listener accepted; {@code null} when unused
 * @param username backend user (Redis ACL), or {@code null}
 * @param password backend password, or {@code null}
 * @param database Redis logical database to select on each connection
 * @param tls      how to reach the nodes over TLS, or {@code null} for plain TCP
 */
public record ClusterPlan(String name, boolean local, List<HostPort> nodes, Topology topology, Protocol protocol,
                          Object protocolOptions,
                          String username, String password, int database, TlsConfig tls) {
    public ClusterPlan {
        nodes = List.copyOf(nodes);
    }

    @Override
    public String toString() {
        // keeps the password out of logs and error messages
        return "ClusterPlan[name=" + name + ", local=" + local + ", nodes=" + nodes + "]";
    }
}
