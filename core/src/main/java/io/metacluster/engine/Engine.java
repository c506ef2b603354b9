package io.metacluster.engine;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import io.metacluster.admin.AdminServer;
import io.metacluster.config.BackendConfig;
import io.metacluster.config.ClusterPlan;
import io.metacluster.config.HostPort;
import io.metacluster.config.ListenerPlan;
import io.metacluster.config.Plan;
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
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The running proxy: one group of event loops serving every listener, and on each loop one set
 * of backend connections to every node. Built from a {@link Plan}, the config already resolved.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final MetricRegistry metrics = new MetricRegistry();
    /** The metrics as MBeans of the platform server, domain {@code metacluster}. */
    private final JmxReporter jmx = JmxReporter.forRegistry(metrics).inDomain("metacluster").build();
    private final Plan plan;
    private AdminServer admin;
    private final MultiThreadIoEventLoopGroup group;
    private final Transport transport;
    private final List<EventLoop> loops = new ArrayList<>();
    private final Map<String, Cluster> clusters = new LinkedHashMap<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final List<NodeConnection> connections = new ArrayList<>();
    private final List<ReplayLog> replayLogs = new ArrayList<>();
    /** File work of the replay logs, off the event loops. */
    private final ExecutorService replayIo = Executors.newSingleThreadExecutor(new DefaultThreadFactory("metacluster-replay", true));
    /** Counts down once per backend connection at its first connect outcome, success or not. */
    private CountDownLatch firstOutcome;
    private Resyncs resyncs;

    private Engine(Plan plan) {
        this.plan = plan;
        transport = Transport.best();
        int threads = plan.ioThreads() > 0 ? plan.ioThreads() : Runtime.getRuntime().availableProcessors();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("metacluster-io"), transport.ioHandler());
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
    }

    /**
     * Connects to the backends (waiting up to the connect timeout for a first answer from each),
     * then opens the listeners.
     *
     * @throws StartException when a listener cannot bind its address
     */
    public static Engine start(Plan plan) throws StartException, InterruptedException {
        Engine engine = new Engine(plan);
        try {
            engine.build(plan);
            engine.connect(plan.backend());
            engine.bind();
            engine.jmx.start();
            if (plan.admin() != null) {
                engine.admin = AdminServer.start(engine, plan.admin());
            }
        } catch (UncheckedIOException e) {
            engine.close(0);
            throw new StartException(e.getMessage());
        } catch (StartException | RuntimeException e) {
            engine.close(0);
            throw e;
        }
        return engine;
    }

    private void build(Plan plan) {
        CountDownLatch firstOutcome = new CountDownLatch(countConnections(plan));
        resyncs = new Resyncs(plan.resync(), Math.max(10_000, plan.backend().requestTimeoutMs()), peers(plan), clusters);
        for (ClusterPlan cluster : plan.clusters()) {
            if (cluster.protocol() == null) {
                log.warn("cluster {} is not used by any listener; not connecting to it", cluster.name());
                continue;
            }
            clusters.put(cluster.name(), buildCluster(cluster, plan.backend(), plan.replay(), firstOutcome));
        }
        this.firstOutcome = firstOutcome;
        // ClusterView.latencyNanos: a percentile costs a sort, so once a second, not per read
        group.next().scheduleAtFixedRate(() -> clusters.values().forEach(Cluster::refreshLatency), 1, 1, TimeUnit.SECONDS);
        // a Redis Cluster failover moves a dead master's slots: the writes it missed follow them,
        // before the next write (LoopCluster.route), or by this timer when none comes
        loops.get(0).scheduleAtFixedRate(() -> clusters.values().forEach(c -> c.handOverMissedWrites(c.perLoop[0])),
                100, 100, TimeUnit.MILLISECONDS);
        for (ListenerPlan listener : plan.listeners()) {
            listeners.add(buildListener(listener));
        }
    }

    /** For each cluster, the other clusters of the listeners it is in: those that hold the same keys. */
    private static Map<String, List<String>> peers(Plan plan) {
        Map<String, List<String>> peers = new LinkedHashMap<>();
        for (ListenerPlan listener : plan.listeners()) {
            for (String cluster : listener.clusters()) {
                List<String> own = peers.computeIfAbsent(cluster, c -> new ArrayList<>());
                listener.clusters().stream().filter(c -> !c.equals(cluster) && !own.contains(c)).forEach(own::add);
            }
        }
        return peers;
    }

    private int countConnections(Plan plan) {
        int perNodeAndLane = loops.size() * plan.backend().connectionsPerNode();
        return plan.clusters().stream().filter(c -> c.protocol() != null)
                .mapToInt(c -> c.nodes().size() * perNodeAndLane * c.protocol().eagerLanes()).sum();
    }

    private Cluster buildCluster(ClusterPlan config, BackendConfig backend, ReplayConfig replay, CountDownLatch firstOutcome) {
        Protocol protocol = config.protocol();
        Cluster cluster = new Cluster(config, new ClusterMetrics(metrics, config.name()), loops.size());
        int perLoop = backend.connectionsPerNode();
        for (int n = 0; n < config.nodes().size(); n++) {
            HostPort address = config.nodes().get(n);
            BackendSettings settings = new BackendSettings(config.name(), address.toString(), config.username(),
                    config.password(), config.database());
            int lanes = protocol.backendLanes();
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
            node.replay = replayLog(node, protocol, config.protocolOptions(), replay);
            cluster.nodes[n] = node;
        }
        for (int l = 0; l < loops.size(); l++) {
            cluster.perLoop[l] = new LoopCluster(cluster, l);
        }
        metrics.gauge(cluster.metrics.prefix + ".healthy", () -> (Gauge<Integer>) () -> ClusterStatus.healthy(cluster) ? 1 : 0);
        return cluster;
    }

    private ReplayLog replayLog(Node node, Protocol protocol, Object protocolOptions, ReplayConfig config) {
        ReplayStore store = null;
        if (!config.dir().isEmpty()) {
            String name = (node.cluster.name() + "-" + node.address.host() + "_" + node.address.port())
                    .replaceAll("[^A-Za-z0-9._-]", "_");
            store = new ReplayStore(replayIo, Path.of(config.dir()), name, config.maxBytes());
        }
        ReplayLog replay = new ReplayLog(node, config, store, protocol, protocolOptions);
        try {
            replay.restore();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the replay log of node " + node + ": " + e.getMessage(), e);
        }
        String prefix = node.metrics.prefix;
        metrics.gauge(prefix + ".replay-pending", () -> replay::pending);
        metrics.gauge(prefix + ".replay-bytes", () -> replay::bytes);
        metrics.gauge(prefix + ".out-of-sync", () -> () -> node.outOfSync ? 1 : 0);
        long damaged = store == null ? 0 : store.damagedBytes();
        metrics.gauge(prefix + ".replay-damaged-bytes", () -> () -> damaged);
        replayLogs.add(replay);
        return replay;
    }

    private Listener buildListener(ListenerPlan config) {
        Listener listener = new Listener(config, new ListenerMetrics(metrics, config.name()));
        for (int l = 0; l < loops.size(); l++) {
            List<LoopCluster> own = new ArrayList<>();
            for (String name : config.clusters()) {
                own.add(clusters.get(name).perLoop[l]);
            }
            listener.addLoop(loops.get(l), own);
        }
        ReadVerifier verifier = config.verify().create(listener.verifyContext(metrics));
        listener.verifier(verifier);
        if (verifier != ReadVerifier.NONE) {
            for (String name : config.clusters()) {
                Cluster cluster = clusters.get(name);
                if (cluster.writes == null) {
                    cluster.writes = new WriteTracker();
                }
            }
        }
        return listener;
    }

    private void connect(BackendConfig backend) throws InterruptedException {
        connections.stream().filter(NodeConnection::eager).forEach(NodeConnection::start);
        // a first answer from every node, so the first clients do not see clusters as down
        if (!firstOutcome.await(backend.connectTimeoutMs() + 500L, TimeUnit.MILLISECONDS)) {
            log.warn("some backend nodes did not answer within {} ms; serving without them for now",
                    backend.connectTimeoutMs());
        }
    }

    private void bind() throws StartException, InterruptedException {
        for (Listener listener : listeners) {
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
                            ClientCodec codec = listener.protocol().newClientCodec(listener.limits().clientLimits(listener.config().auth() != null),
                                    listener.protocolOptions);
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
                throw new StartException("listener " + listener.name() + " cannot bind " + bind + ": " + e.getMessage());
            }
            log.info("listener {} ({}) on {} in front of clusters {}: {}", listener.name(), listener.protocol().name(),
                    bind, listener.config().clusters(), listener.config().strategies());
        }
        log.info("metacluster started: {} I/O threads ({}), {} backend connections (more on first use of a lane)",
                loops.size(), transport.name(), connections.stream().filter(NodeConnection::eager).count());
    }

    /** {@link #close(long)} with a five-second drain. */
    @Override
    public void close() {
        close(5000);
    }

    private boolean allAnswered() {
        for (Listener listener : listeners) {
            for (Channel channel : listener.clientChannels) {
                ClientSession session = channel.pipeline().get(ClientSession.class);
                if (session != null && channel.isActive()) {
                    boolean idle;
                    try {
                        idle = channel.eventLoop().submit(session::idle).get(1, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        idle = true;
                    }
                    if (!idle) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** The daemon's metrics: {@code listener.<name>.*} and {@code cluster.<name>.*}. */
    public MetricRegistry metrics() {
        return metrics;
    }

    /** Every cluster by name, and whether all event loops have working connections to all its nodes. */
    public Map<String, Boolean> clusterHealth() {
        Map<String, Boolean> health = new LinkedHashMap<>();
        clusters.forEach((name, cluster) -> health.put(name, ClusterStatus.healthy(cluster)));
        return health;
    }

    /** Every cluster the listeners use, with its nodes, now. */
    public List<ClusterStatus> clusterStatus() {
        return ClusterStatus.of(clusters.values());
    }

    /** What the engine was built from. */
    public Plan plan() {
        return plan;
    }

    /** Where the admin endpoint is bound, or {@code null} when the config has no {@code admin:} block. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    /** Where a listener is bound (useful when configured with an ephemeral port). */
    public InetSocketAddress address(String listener) {
        return listeners.stream().filter(l -> l.name().equals(listener)).findFirst()
                .map(l -> (InetSocketAddress) l.serverChannel.localAddress())
                .orElseThrow(() -> new IllegalArgumentException("no listener " + listener));
    }

    /**
     * Stops accepting, stops reading from clients, waits (at most {@code drainMillis}) until
     * every request already read is answered, then closes every connection and the event loops.
     * Writes still unanswered by a node at that point go to its replay log, which is written out.
     */
    public void close(long drainMillis) {
        if (admin != null) {
            admin.close();
        }
        jmx.stop();
        for (Listener listener : listeners) {
            if (listener.serverChannel != null) {
                listener.serverChannel.close().syncUninterruptibly();
            }
            listener.draining = true;
            listener.clientChannels.forEach(channel -> channel.config().setAutoRead(false));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        while (!allAnswered() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Listener listener : listeners) {
            listener.clientChannels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        if (resyncs != null) {
            resyncs.close();
        }
        plan.clusters().forEach(cluster -> cluster.topology().close());
        connections.forEach(NodeConnection::stop);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        replayLogs.forEach(ReplayLog::close);
        replayIo.shutdown();
        try {
            if (!replayIo.awaitTermination(10, TimeUnit.SECONDS)) {
                log.error("replay files were still being written after 10 s; some recorded writes may be lost");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The engine could not start (e.g. a port in use). */
    public static final class StartException extends Exception {
        public StartException(String message) {
            super(message);
        }
    }
}
