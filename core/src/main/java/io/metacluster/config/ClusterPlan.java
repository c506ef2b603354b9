package io.metacluster.config;

import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param onNodeDown what happens to the keys of a node that is down, when there are several
 */
public record ClusterPlan(String name, boolean local, List<HostPort> nodes, Topology topology, Protocol protocol,
                          Object protocolOptions,
                          String username, String password, int database, TlsConfig tls, OnNodeDown onNodeDown) {
    /** {@code on-node-down}: what a sharded cluster does while one of its nodes is down. */
    public enum OnNodeDown {
        /**
         * The node's keys are read from another cluster, and the writes for them kept in the
         * node's replay log until it is back; the other nodes' keys are still read here.
         */
        @JsonProperty("failover-cluster") FAILOVER_CLUSTER,
        /**
         * The node leaves the ring and its keys are placed over the remaining nodes, as
         * twemproxy's {@code auto_eject_hosts}; nothing is kept for it (a cache); when it is back
         * it is flushed and rejoins the ring.
         */
        @JsonProperty("eject") EJECT
    }

    public ClusterPlan {
        nodes = List.copyOf(nodes);
        onNodeDown = onNodeDown == null ? OnNodeDown.FAILOVER_CLUSTER : onNodeDown;
    }

    /** A cluster with the default {@code on-node-down: failover-cluster}. */
    public ClusterPlan(String name, boolean local, List<HostPort> nodes, Topology topology, Protocol protocol,
                       Object protocolOptions, String username, String password, int database, TlsConfig tls) {
        this(name, local, nodes, topology, protocol, protocolOptions, username, password, database, tls, null);
    }

    /** Whether a node that is down leaves the ring ({@code on-node-down: eject}). */
    public boolean ejects() {
        return onNodeDown == OnNodeDown.EJECT;
    }

    @Override
    public String toString() {
        // keeps the password out of logs and error messages
        return "ClusterPlan[name=" + name + ", local=" + local + ", nodes=" + nodes + "]";
    }
}
