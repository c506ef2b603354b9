package io.metacluster.engine;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import io.metacluster.admin.AdminServer;
import io.metacluster.config.BackendConfig;
import io.metacluster.config.ClusterPlan;
import io.metacluster.config.ConfigException;
import io.metacluster.config.ListenerPlan;
import io.metacluster.config.Plan;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The running proxy: one group of event loops serving every listener, and on each loop one set
 * of backend connections to every node. Built from a {@link Plan}, the config already resolved;
 * a config reload ({@link Reloads}, {@link Reconfiguration}) publishes new clusters, listeners
 * and plan without stopping it.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final MetricRegistry metrics = new MetricRegistry();
    /** The metrics as MBeans of the platform server, domain {@code metacluster}. */
    private final JmxReporter jmx = JmxReporter.forRegistry(metrics).inDomain("metacluster").build();
    /** What the engine runs now: replaced by a config reload. */
    private volatile Plan plan;
    /** Set by {@link #close(long)}. */
    private volatile boolean closing;
    private AdminServer admin;
    private final MultiThreadIoEventLoopGroup group;
    private final Transport transport;
    private final List<EventLoop> loops = new ArrayList<>();
    /** By name, in configuration order; a reload publishes a new map rather than changing this one. */
    private volatile Map<String, Cluster> clusters = new LinkedHashMap<>();
    /** Likewise replaced, never changed, by a reload. */
    private volatile List<Listener> listeners = new ArrayList<>();
    final Assembly parts;
    /** Counts down once per backend connection at its first connect outcome, success or not. */
    private CountDownLatch firstOutcome;
    private Resyncs resyncs;
    /** Set by {@link Reloads#install}; {@code null} when the engine was not started from a file. */
    volatile Reloads reloads;

    private Engine(Plan plan) {
        this.plan = plan;
        transport = Transport.best();
        int threads = plan.ioThreads() > 0 ? plan.ioThreads() : Runtime.getRuntime().availableProcessors();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("metacluster-io"), transport.ioHandler());
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        parts = new Assembly(metrics, loops, group, transport, plan.backend(), plan.replay());
    }

    /**
     * Connects to the backends (waiting up to the connect timeout for a first answer from each),
     * then opens the listeners.
     *
     * @throws StartException when a listener cannot bind its address
     */
    public static Engine start(Plan plan) throws StartException, InterruptedException {
        return start(plan, null, null);
    }

    /**
     * {@link #start(Plan)}, reloadable from {@code source} (the config {@code file}) on SIGHUP
     * and {@code POST /reload} ({@link Reloads}); the signal is caught before any port opens.
     */
    public static Engine start(Plan plan, Reloads.PlanSource source, String file) throws StartException, InterruptedException {
        Engine engine = new Engine(plan);
        // a reload (SIGHUP) that comes during start waits for it to finish
        synchronized (engine) {
            engine.startLocked(plan, source, file);
        }
        return engine;
    }

    private void startLocked(Plan plan, Reloads.PlanSource source, String file) throws StartException, InterruptedException {
        try {
            if (source != null) {
                Reloads.install(this, source, file);
            }
            build(plan);
            connect(plan.backend());
            bind();
            jmx.start();
            if (plan.admin() != null) {
                admin = AdminServer.start(this, plan.admin());
            }
        } catch (UncheckedIOException e) {
            close(0);
            throw new StartException(e.getMessage());
        } catch (ConfigException e) {
            close(0);
            throw new StartException(e.getMessage(), true);
        } catch (StartException | RuntimeException e) {
            close(0);
            throw e;
        }
    }

    private void build(Plan plan) throws ConfigException {
        CountDownLatch firstOutcome = new CountDownLatch(plan.clusters().stream().filter(c -> c.protocol() != null)
                .mapToInt(parts::eagerConnections).sum());
        resyncs = new Resyncs(plan.resync(), Math.max(10_000, plan.backend().requestTimeoutMs()), peers(plan), () -> clusters);
        parts.resyncs = resyncs;
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        for (ClusterPlan cluster : plan.clusters()) {
            if (cluster.protocol() == null) {
                log.warn("cluster {} is not used by any listener; not connecting to it", cluster.name());
                continue;
            }
            clusters.put(cluster.name(), parts.cluster(cluster, firstOutcome));
        }
        this.clusters = clusters;
        this.firstOutcome = firstOutcome;
        // ClusterView.latencyNanos: a percentile costs a sort, so once a second, not per read
        group.next().scheduleAtFixedRate(() -> this.clusters.values().forEach(Cluster::refreshLatency), 1, 1, TimeUnit.SECONDS);
        // a Redis Cluster failover moves a dead master's slots: the writes it missed follow them,
        // before the next write (LoopCluster.route), or by this timer when none comes
        loops.get(0).scheduleAtFixedRate(
                () -> this.clusters.values().forEach(c -> c.handOverMissedWrites(c.perLoop[0])),
                100, 100, TimeUnit.MILLISECONDS);
        List<Listener> listeners = new ArrayList<>();
        for (ListenerPlan listener : plan.listeners()) {
            listeners.add(parts.listener(listener, clusters));
        }
        this.listeners = listeners;
        NodeJoins.watch(this, plan);
    }

    /** For each cluster, the other clusters of the listeners it is in: those that hold the same keys. */
    static Map<String, List<String>> peers(Plan plan) {
        Map<String, List<String>> peers = new LinkedHashMap<>();
        for (ListenerPlan listener : plan.listeners()) {
            for (String cluster : listener.clusters()) {
                List<String> own = peers.computeIfAbsent(cluster, c -> new ArrayList<>());
                listener.clusters().stream().filter(c -> !c.equals(cluster) && !own.contains(c)).forEach(own::add);
            }
        }
        return peers;
    }

    private void connect(BackendConfig backend) throws InterruptedException {
        clusters.values().forEach(cluster -> List.of(cluster.nodes()).forEach(Assembly::connect));
        // a first answer from every node, so the first clients do not see clusters as down
        if (!firstOutcome.await(backend.connectTimeoutMs() + 500L, TimeUnit.MILLISECONDS)) {
            log.warn("some backend nodes did not answer within {} ms; serving without them for now",
                    backend.connectTimeoutMs());
        }
    }

    private void bind() throws StartException {
        for (Listener listener : listeners) {
            parts.bind(listener);
        }
        log.info("metacluster started: {} I/O threads ({}), {} backend connections (more on first use of a lane)",
                loops.size(), transport.name(), parts.connections.stream().filter(NodeConnection::eager).count());
    }

    /** {@link #close(long)} with a five-second drain. */
    @Override
    public void close() {
        close(5000);
    }

    private boolean allAnswered() {
        return listeners.stream().allMatch(Assembly::allAnswered);
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
        return ClusterStatus.of(clusters.values(), resyncs);
    }

    /** What the engine runs now: the plan it was built from, or the last one a reload applied. */
    public Plan plan() {
        return plan;
    }

    /** How the config file is reloaded, or {@code null} when the engine was not started from one. */
    public Reloads reloads() {
        return reloads;
    }

    Map<String, Cluster> clusters() {
        return clusters;
    }

    List<Listener> listeners() {
        return listeners;
    }

    Resyncs resyncs() {
        return resyncs;
    }

    /** A reload's result, made visible at once: what the admin endpoint shows and the engine closes. */
    void publish(Plan plan, Map<String, Cluster> clusters, List<Listener> listeners) {
        this.clusters = clusters;
        this.listeners = listeners;
        this.plan = plan;
        NodeJoins.watch(this, plan);
    }

    /** Whether {@link #close(long)} began: nothing may be added any more. */
    boolean closing() {
        return closing;
    }

    void adminToken(String token) {
        if (admin != null) {
            admin.token(token);
        }
    }

    /**
     * An operator's resync of {@code cluster}'s nodes, or of the one at {@code node}
     * ({@code host:port}) when given: each leaves reads until a healthy cluster of its
     * listeners has been copied to it.
     */
    public ResyncOrders.Answer resync(String cluster, String node) {
        return ResyncOrders.order(clusters.get(cluster), cluster, node, resyncs);
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
    public synchronized void close(long drainMillis) {
        closing = true;
        if (reloads != null) {
            reloads.close();
        }
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
        parts.close();
        clusters.values().forEach(cluster -> cluster.topology().close());
        parts.connections.forEach(NodeConnection::stop);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        parts.replayLogs.forEach(ReplayLog::close);
        parts.replayIo.shutdown();
        try {
            if (!parts.replayIo.awaitTermination(10, TimeUnit.SECONDS)) {
                log.error("replay files were still being written after 10 s; some recorded writes may be lost");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The engine could not start (e.g. a port in use), or refused its config ({@link #configRefused}). */
    public static final class StartException extends Exception {
        private final boolean configRefused;

        public StartException(String message) {
            this(message, false);
        }

        StartException(String message, boolean configRefused) {
            super(message);
            this.configRefused = configRefused;
        }

        /**
         * Whether the config was refused (a verify strategy that passed the check but cannot
         * make its verifier with the running engine): the message is a config refusal's, with
         * file, line and field.
         */
        public boolean configRefused() {
            return configRefused;
        }
    }
}
