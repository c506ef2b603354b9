package io.metacluster.engine;

import io.metacluster.config.HostPort;
import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.Command;
import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.Protocol;
import io.netty.buffer.ByteBufUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One backend server of a cluster, and the connections every event loop keeps to it.
 * Health is per connection; the node only turns it into operator log lines on transitions.
 * A node whose process changed since the last connection (it was restarted, and may have lost
 * its data) is out of reads until {@link Resyncs} has refilled it; writes keep going to it.
 */
final class Node {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    final Cluster cluster;
    final HostPort address;
    final BackendSettings settings;
    /** [event loop index][lane][connection index]. */
    final NodeConnection[][][] connections;
    final NodeMetrics metrics;
    /** Writes the node missed; set once at start. */
    ReplayLog replay;
    /** Refills the node from another cluster; set once at start, {@code null} when nothing can. */
    Resyncs resyncs;
    /** The process last seen on a connection; {@code null} until one said. */
    private NodeIdentity identity;
    /** Set when a config reload removed the node: a resync waiting for it gives up. */
    volatile boolean retired;
    /** Set while the node waits for or undergoes a resync: no reads. */
    volatile boolean outOfSync;
    /**
     * Set when the node went down, until a connection that asks the node's identity is up again:
     * a connection that does not ask (another lane) may come up first, and reads must wait to
     * know whether the process is the same.
     */
    private volatile boolean identityUnchecked;
    /** Keys written to the node since its resync began (the copy must not overwrite them); {@code null} when none runs. */
    volatile Set<ByteBuffer> writtenDuringResync;
    private final AtomicInteger ready = new AtomicInteger();
    private final AtomicInteger downReports = new AtomicInteger();
    /** Set once the node was seen unreachable; from then on one connection at a time probes it. */
    private final AtomicBoolean down = new AtomicBoolean();
    /** Why the node was last seen down, for operators; {@code null} until then. */
    private volatile String lastError;
    private final AtomicReference<NodeConnection> prober = new AtomicReference<>();

    Node(Cluster cluster, HostPort address, BackendSettings settings, int loops, int lanes, int perLoop) {
        this.cluster = cluster;
        this.address = address;
        this.settings = settings;
        this.connections = new NodeConnection[loops][lanes][perLoop];
        this.metrics = new NodeMetrics(cluster.metrics, this);
    }

    /** Whether some event loop has a working connection to the node. */
    boolean isUp() {
        return ready.get() > 0;
    }

    /**
     * Clients' writes sent to the node directly and not answered yet, over every connection; any
     * thread (each connection publishes its own count).
     */
    int directWritesInFlight() {
        int total = 0;
        for (NodeConnection[][] loop : connections) {
            for (NodeConnection[] lane : loop) {
                for (NodeConnection connection : lane) {
                    if (connection != null) {
                        total += connection.directWrites();
                    }
                }
            }
        }
        return total;
    }

    /** Why the node was last seen down or unreachable, or {@code null}. */
    String lastError() {
        return lastError;
    }

    void connectionReady() {
        // counted over every lane and loop: the operator hears of the node, not of each connection
        if (ready.getAndIncrement() == 0) {
            downReports.set(0);
            boolean wasDown = down.getAndSet(false);
            prober.set(null);
            log.info("node {} of cluster {} is up", address, cluster.name());
            if (wasDown) {
                metrics.stateChanged();
                // the probe got through: the other connections need not wait out their backoff
                for (NodeConnection[][] loop : connections) {
                    for (NodeConnection[] lane : loop) {
                        for (NodeConnection connection : lane) {
                            connection.wakeUp();
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether {@code connection} may try to connect now. While the node is down only one
     * connection probes it, so that a recovering node is not hit by every loop and lane at once.
     */
    boolean mayConnect(NodeConnection connection) {
        return !down.get() || prober.compareAndSet(null, connection) || prober.get() == connection;
    }

    /** {@code connection}'s attempt ended (failed); another may probe next. */
    void probeEnded(NodeConnection connection) {
        prober.compareAndSet(connection, null);
    }

    void connectionLost(String reason, boolean byUs) {
        if (ready.decrementAndGet() == 0 && !byUs) {
            markDown(reason);
            identityUnchecked = cluster.config().protocol() != null && cluster.config().protocol().nodeSync() != null;
            log.warn("node {} of cluster {} is down: {}", address, cluster.name(), reason);
        }
    }

    /** A connect attempt failed; said once per outage, not per retry. */
    void connectFailed(String reason) {
        if (ready.get() == 0) {
            markDown(reason);
        }
        if (ready.get() == 0 && downReports.getAndIncrement() == 0) {
            log.warn("node {} of cluster {} is unreachable: {} (retrying with backoff)", address, cluster.name(), reason);
        }
    }

    private void markDown(String reason) {
        lastError = reason;
        if (down.compareAndSet(false, true)) {
            metrics.stateChanged();
            cluster.nodeDown(this, reason);
        }
    }

    /** A codec for a new connection to this node on {@code lane}: the protocol's, its handshake ended by the topology's. */
    BackendCodec newCodec(Protocol protocol, int lane) {
        return TopologyHandshake.of(protocol.newBackendCodec(settings, lane), cluster.topology().handshake());
    }

    /** Whether reads may go to the node: it is in sync and has no missed writes pending. */
    boolean servesReads() {
        return !identityUnchecked && !outOfSync && replay.servesReads();
    }

    /** A connection asked which process it reached, before taking traffic: {@code now}, or {@code null} if the node did not say. */
    void identified(NodeIdentity now) {
        NodeIdentity before;
        synchronized (this) {
            before = identity;
            if (now != null) {
                identity = now;
            }
        }
        if (now != null && before != null && !before.id().equals(now.id())) {
            restarted(before, now);
        }
        identityUnchecked = false;
    }

    private void restarted(NodeIdentity before, NodeIdentity now) {
        if (!holdsKeys()) {
            // a Redis Cluster replica refills from its master
            log.info("node {} was restarted ({} -> {}); it holds no keys of its own", this, before.id(), now.id());
        } else if (cluster.config().ejects()) {
            // it left the ring when it went down, and is flushed before it rejoins: a cache refills as written
            log.info("node {} was restarted ({} -> {}, up {} s)", this, before.id(), now.id(), now.uptimeSeconds());
        } else if (resyncs != null && resyncs.request(this, true)) {
            log.warn("node {} was restarted ({} -> {}, up {} s); out of reads until resynchronised from another cluster",
                    this, before.id(), now.id(), now.uptimeSeconds());
        } else {
            log.warn("node {} was restarted ({} -> {}, up {} s); no other cluster to resynchronise it from",
                    this, before.id(), now.id(), now.uptimeSeconds());
        }
    }

    /** This node's index in its cluster's nodes now, or -1 once a reload removed it. */
    int index() {
        Node[] nodes = cluster.nodes();
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] == this) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether the node holds keys in its cluster's topology now ({@link io.metacluster.spi.Topology#serves}):
     * not a Redis Cluster replica, nor a master that a failover replaced. Only such a node is walked,
     * copied from or into.
     */
    boolean holdsKeys() {
        int index = index();
        return index >= 0 && cluster.topology().serves(index);
    }

    /** {@code write} reaches the node (sent or kept for replay): a resync running must not copy over its keys. */
    void written(Command write) {
        Set<ByteBuffer> written = writtenDuringResync;
        if (written != null) {
            for (int i = 0; i < write.keyCount(); i++) {
                written.add(ByteBuffer.wrap(ByteBufUtil.getBytes(write.key(i))));
            }
        }
    }

    @Override
    public String toString() {
        return cluster.name() + "/" + address;
    }
}
