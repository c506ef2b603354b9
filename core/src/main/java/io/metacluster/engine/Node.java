package io.metacluster.engine;

import io.metacluster.config.HostPort;
import io.metacluster.spi.BackendSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend server of a cluster, and the connections every event loop keeps to it.
 * Health is per connection; the node only turns it into operator log lines on transitions.
 */
final class Node {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    final Cluster cluster;
    final HostPort address;
    final BackendSettings settings;
    /** [event loop index][lane][connection index]. */
    final NodeConnection[][][] connections;
    /** Writes the node missed; set once at start. */
    ReplayLog replay;
    private final AtomicInteger ready = new AtomicInteger();
    private final AtomicInteger downReports = new AtomicInteger();

    Node(Cluster cluster, HostPort address, BackendSettings settings, int loops, int lanes, int perLoop) {
        this.cluster = cluster;
        this.address = address;
        this.settings = settings;
        this.connections = new NodeConnection[loops][lanes][perLoop];
    }

    void connectionReady() {
        // counted over every lane and loop: the operator hears of the node, not of each connection
        if (ready.getAndIncrement() == 0) {
            downReports.set(0);
            log.info("node {} of cluster {} is up", address, cluster.name());
        }
    }

    void connectionLost(String reason, boolean byUs) {
        if (ready.decrementAndGet() == 0 && !byUs) {
            log.warn("node {} of cluster {} is down: {}", address, cluster.name(), reason);
        }
    }

    /** A connect attempt failed; said once per outage, not per retry. */
    void connectFailed(String reason) {
        if (ready.get() == 0 && downReports.getAndIncrement() == 0) {
            log.warn("node {} of cluster {} is unreachable: {} (retrying with backoff)", address, cluster.name(), reason);
        }
    }

    @Override
    public String toString() {
        return cluster.name() + "/" + address;
    }
}
