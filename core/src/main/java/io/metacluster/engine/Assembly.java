package io.metacluster.engine;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import io.metacluster.config.BackendConfig;
import io.metacluster.config.ClusterPlan;
import io.metacluster.config.ConfigException;
import io.metacluster.config.HostPort;
import io.metacluster.config.ListenerPlan;
import io.metacluster.config.ReplayConfig;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadVerifier;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Makes the engine's parts from the plan (clusters, nodes with their connections and replay
 * logs, listeners and their server channels) at start and at a config reload, and takes them
 * apart when a reload removes them: a removed node or listener is drained (what it has in flight
 * is answered) before its connections close.
 */
final class Assembly {
    private static final Logger log = LoggerFactory.getLogger(Assembly.class);
    /** How often a drain looks whether what was in flight is answered. */
    private static final long DRAIN_POLL_MS = 20;

    final MetricRegistry metrics;
    final List<EventLoop> loops;
    private final EventLoopGroup group;
    private final Transport transport;
    private final BackendConfig backend;
    private final ReplayConfig replay;
    final Set<NodeConnection> connections = ConcurrentHashMap.newKeySet();
    final Set<ReplayLog> replayLogs = ConcurrentHashMap.newKeySet();
    /** File work of the replay logs, off the event loops. */
    final ExecutorService replayIo = Executors.newSingleThreadExecutor(new DefaultThreadFactory("metacluster-replay", true));
    /** Drains what a reload removed, off the reload's caller. */
    private final ExecutorService retiring = Executors.newSingleThreadExecutor(new DefaultThreadFactory("metacluster-retire", true));
    Resyncs resyncs;
    /** Metric prefixes of the clusters and nodes being retired: one of the same name waits (see {@link #awaitRetired}). */
    private final Set<String> retiringPrefixes = ConcurrentHashMap.newKeySet();

    Assembly(MetricRegistry metrics, List<EventLoop> loops, EventLoopGroup group, Transport transport,
             BackendConfig backend, ReplayConfig replay) {
        this.metrics = metrics;
        this.loops = loops;
        this.group = group;
        this.transport = transport;
        this.backend = backend;
        this.replay = replay;
    }

    /** The eager backend connections a cluster opens: one per loop, lane started eagerly and {@code connections-per-node}. */
    int eagerConnections(ClusterPlan cluster) {
        return cluster.nodes().size() * loops.size() * backend.connectionsPerNode() * cluster.protocol().eagerLanes();
    }

    /** A cluster and its nodes (not yet connecting); {@code firstOutcome} counts down once per eager connection's first attempt. */
    Cluster cluster(ClusterPlan config, CountDownLatch firstOutcome) {
        awaitRetired(MetricRegistry.name("cluster", config.name()));
        Cluster cluster = new Cluster(config, new ClusterMetrics(metrics, config.name()), loops.size());
        Node[] nodes = cluster.nodes();
        for (int n = 0; n < nodes.length; n++) {
            nodes[n] = node(cluster, config, config.nodes().get(n), firstOutcome);
        }
        for (int l = 0; l < loops.size(); l++) {
            cluster.perLoop[l] = new LoopCluster(cluster, l);
        }
        metrics.gauge(cluster.metrics.prefix + ".healthy", () -> (Gauge<Integer>) () -> ClusterStatus.healthy(cluster) ? 1 : 0);
        return cluster;
    }

    /** A node of {@code cluster} as {@code config} has it, with its connections (not yet started) and replay log. */
    Node node(Cluster cluster, ClusterPlan config, HostPort address, CountDownLatch firstOutcome) {
        awaitRetired(MetricRegistry.name(cluster.metrics.prefix, "node", address.toString()));
        Protocol protocol = config.protocol();
        BackendSettings settings = new BackendSettings(config.name(), address.toString(), config.username(),
                config.password(), config.database());
        int lanes = protocol.backendLanes();
        int perLoop = backend.connectionsPerNode();
        Node node = new Node(cluster, address, settings, loops.size(), lanes, perLoop);
        for (int l = 0; l < loops.size(); l++) {
            for (int lane = 0; lane < lanes; lane++) {
                for (int k = 0; k < perLoop; k++) {
                    NodeConnection connection = new NodeConnection(node, loops.get(l), l, protocol, lane,
                            backend, transport, firstOutcome);
                    node.connections[l][lane][k] = connection;
                    connections.add(connection);
                }
            }
        }
        node.resyncs = resyncs;
        node.replay = replayLog(node, protocol, config.protocolOptions());
        return node;
    }

    /** Starts the eager connections of {@code node}. */
    static void connect(Node node) {
        connectionsOf(node).stream().filter(NodeConnection::eager).forEach(NodeConnection::start);
    }

    /** Every connection of {@code node}: each event loop's, lane's and index's. */
    private static List<NodeConnection> connectionsOf(Node node) {
        List<NodeConnection> all = new ArrayList<>();
        for (NodeConnection[][] loop : node.connections) {
            for (NodeConnection[] lane : loop) {
                all.addAll(List.of(lane));
            }
        }
        return all;
    }

    private ReplayLog replayLog(Node node, Protocol protocol, Object protocolOptions) {
        ReplayStore store = null;
        if (!replay.dir().isEmpty()) {
            String name = (node.cluster.name() + "-" + node.address.host() + "_" + node.address.port())
                    .replaceAll("[^A-Za-z0-9._-]", "_");
            store = new ReplayStore(replayIo, Path.of(replay.dir()), name, replay.maxBytes());
        }
        ReplayLog log = new ReplayLog(node, replay, store, protocol, protocolOptions);
        try {
            log.restore();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the replay log of node " + node + ": " + e.getMessage(), e);
        }
        String prefix = node.metrics.prefix;
        metrics.gauge(prefix + ".replay-pending", () -> log::pending);
        metrics.gauge(prefix + ".replay-bytes", () -> log::bytes);
        metrics.gauge(prefix + ".out-of-sync", () -> () -> node.outOfSync ? 1 : 0);
        long damaged = store == null ? 0 : store.damagedBytes();
        metrics.gauge(prefix + ".replay-damaged-bytes", () -> () -> damaged);
        replayLogs.add(log);
        return log;
    }

    /**
     * A listener over {@code clusters} (by name), with its verifier; not yet bound.
     *
     * @throws ConfigException when its verify strategy cannot make the verifier (see {@link #verifier})
     */
    Listener listener(ListenerPlan config, Map<String, Cluster> clusters) throws ConfigException {
        Listener listener = new Listener(config, new ListenerMetrics(metrics, config.name()));
        loopsOf(config, clusters).forEach(listener::addLoop);
        listener.verifier(verifier(config, listener, clusters));
        return listener;
    }

    /** For each event loop, the listener's clusters as that loop sees them, in configuration order. */
    Map<EventLoop, List<LoopCluster>> loopsOf(ListenerPlan config, Map<String, Cluster> clusters) {
        Map<EventLoop, List<LoopCluster>> byLoop = new IdentityHashMap<>();
        for (int l = 0; l < loops.size(); l++) {
            List<LoopCluster> own = new ArrayList<>();
            for (String name : config.clusters()) {
                own.add(clusters.get(name).perLoop[l]);
            }
            byLoop.put(loops.get(l), own);
        }
        return byLoop;
    }

    /**
     * The listener's verifier; the clusters it compares keep track of writes in flight from now on.
     *
     * @throws ConfigException when the strategy's {@code create} throws with the running engine's
     *                         context (having passed the check's): the config is refused as by the check
     */
    ReadVerifier verifier(ListenerPlan config, Listener listener, Map<String, Cluster> clusters) throws ConfigException {
        ReadVerifier verifier;
        try {
            verifier = config.verify().create(listener.verifyContext(metrics));
        } catch (ConfigException e) {
            // the operator's message names the plugin and the reason; the plugin's author may want where it threw
            log.debug("{}", e.getMessage(), e.getCause());
            throw e;
        }
        if (verifier != ReadVerifier.NONE) {
            for (String name : config.clusters()) {
                Cluster cluster = clusters.get(name);
                if (cluster.writes == null) {
                    cluster.writes = new WriteTracker();
                }
            }
        }
        return verifier;
    }

    /** Opens {@code listener}'s server channel; the message says why it could not. */
    void bind(Listener listener) throws Engine.StartException {
        HostPort bind = listener.config().bind();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // a client that shuts its write side (printf ... | nc) is answered, then closed: ClientSession
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ClientCodec codec = listener.protocol().newClientCodec(
                                listener.limits().clientLimits(listener.config().auth() != null), listener.protocolOptions);
                        if (listener.tls != null) {
                            ch.pipeline().addLast(listener.tls.newHandler(ch.alloc()));
                        }
                        long idle = listener.limits().idleTimeoutMs();
                        if (idle > 0) {
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS));
                        }
                        ch.pipeline().addLast(new ClientFrameDecoder(codec), new ClientSession(listener, codec));
                    }
                });
        try {
            listener.serverChannel = bootstrap.bind(bind.host(), bind.port()).sync().channel();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new Engine.StartException("listener " + listener.name() + " cannot bind " + bind + ": " + e.getMessage());
        }
        log.info("listener {} ({}) on {} in front of clusters {}: {}", listener.name(), listener.protocol().name(),
                bind, listener.config().clusters(), listener.config().strategies());
    }

    /**
     * Stops accepting on {@code listener} and reading from its clients; in the background, they
     * are answered what they sent (at most {@code drainMillis}), then closed; with
     * {@code forgetMetrics}, the listener's metrics go too (its name is gone from the config).
     */
    void closeListener(Listener listener, long drainMillis, boolean forgetMetrics) {
        if (listener.serverChannel != null) {
            listener.serverChannel.close().syncUninterruptibly();
        }
        listener.draining = true;
        listener.clientChannels.forEach(channel -> channel.config().setAutoRead(false));
        Runnable rest = () -> {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
            while (!allAnswered(listener) && System.nanoTime() < deadline) {
                sleep(DRAIN_POLL_MS);
            }
            listener.clientChannels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            if (forgetMetrics) {
                metrics.removeMatching(under(MetricRegistry.name("listener", listener.name())));
            }
        };
        retiring.execute(rest);
    }

    /** Removes the metrics of the listener {@code name}, which a refused reload would have added. */
    void forgetListenerMetrics(String name) {
        metrics.removeMatching(under(MetricRegistry.name("listener", name)));
    }

    /** Whether every client of {@code listener} has been answered all it sent. */
    static boolean allAnswered(Listener listener) {
        for (Channel channel : listener.clientChannels) {
            ClientSession session = channel.pipeline().get(ClientSession.class);
            if (session != null && channel.isActive() && !onLoop(channel.eventLoop(), session::idle)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Takes {@code nodes}, which no cluster routes to any more, apart in the background: once
     * what they have in flight is answered (at most the request timeout), their connections
     * close, their replay logs are written out (a node added back later replays them) and their
     * metrics go; with {@code cluster} (a cluster whose name left the config), its metrics too.
     */
    void retire(List<Node> nodes, Cluster cluster) {
        nodes.forEach(node -> node.retired = true);
        List<String> prefixes = new ArrayList<>();
        nodes.forEach(node -> prefixes.add(node.metrics.prefix));
        if (cluster != null) {
            prefixes.add(cluster.metrics.prefix);
            cluster.topology().close();
        }
        retiringPrefixes.addAll(prefixes);
        retiring.execute(() -> {
            try {
                takeApart(nodes, cluster);
            } finally {
                prefixes.forEach(retiringPrefixes::remove);
            }
        });
    }

    private void takeApart(List<Node> nodes, Cluster cluster) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backend.requestTimeoutMs());
        while (!nodes.stream().allMatch(Assembly::drained) && System.nanoTime() < deadline) {
            sleep(DRAIN_POLL_MS);
        }
        for (Node node : nodes) {
            for (NodeConnection connection : connectionsOf(node)) {
                connection.stop();
                connections.remove(connection);
            }
            node.replay.close();
            replayLogs.remove(node.replay);
            metrics.removeMatching(under(node.metrics.prefix));
        }
        if (cluster != null) {
            metrics.removeMatching(under(cluster.metrics.prefix));
        }
        try {
            // the replay files are written out before a node of the same name reads them
            replayIo.submit(() -> { }).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception stopping) {
            // the daemon is stopping: it writes the files out itself
        }
    }

    /**
     * Waits until the cluster or node of metric prefix {@code prefix} (or a node of that cluster)
     * that a reload removed is taken apart: one added back under the same name must not have its
     * metrics removed, nor share its replay file, with the old one.
     */
    private void awaitRetired(String prefix) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backend.requestTimeoutMs() + 2000L);
        while (retiringPrefixes.stream().anyMatch(p -> p.equals(prefix) || p.startsWith(prefix + "."))
                && System.nanoTime() < deadline) {
            sleep(DRAIN_POLL_MS);
        }
    }

    private static boolean drained(Node node) {
        return connectionsOf(node).stream().allMatch(connection -> onLoop(connection.loop(), connection::drained));
    }

    /** Asks {@code question} on {@code loop}; an event loop that does not answer within a second counts as yes. */
    private static boolean onLoop(EventLoop loop, java.util.concurrent.Callable<Boolean> question) {
        try {
            return loop.submit(question).get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            return true;
        }
    }

    private static MetricFilter under(String prefix) {
        return (name, metric) -> name.startsWith(prefix + ".");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the drains still under way (at shutdown, which drains everything itself). */
    void close() {
        retiring.shutdownNow();
    }
}
