package io.metacluster.engine;

import com.codahale.metrics.MetricRegistry;
import io.metacluster.config.LimitsConfig;
import io.metacluster.config.ListenerPlan;
import io.metacluster.spi.ClientPeer;
import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.Metrics;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.ReplyHandler;
import io.metacluster.spi.VerifyContext;
import io.metacluster.spi.WritePolicy;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A configured listener: its protocol, strategies, limits, and its clusters as each event loop
 * sees them. A config reload replaces all but its name, protocol and address
 * ({@link #reconfigure}); a request reads what it needs when it starts.
 */
final class Listener {
    private volatile ListenerPlan config;
    private final Protocol protocol;
    private volatile ReadSelector selector;
    private volatile WritePolicy writePolicy;
    private final ListenerMetrics metrics;
    private volatile Map<EventLoop, List<LoopCluster>> clustersByLoop = new IdentityHashMap<>();
    private final AtomicInteger clients = new AtomicInteger();
    /** Round robin of {@link VerifyContext#execute} over the event loops. */
    private final AtomicInteger nextLoop = new AtomicInteger();
    private volatile ReadVerifier verifier = ReadVerifier.NONE;
    /** TLS for clients, or {@code null}; for connections accepted from now on. */
    volatile SslContext tls;
    /** The protocol's options for this listener, for connections accepted from now on. */
    volatile Object protocolOptions;
    Channel serverChannel;
    /** The client connections, for draining them at shutdown. */
    final ChannelGroup clientChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Set at shutdown: clients are no longer read from, only answered. */
    volatile boolean draining;
    /** What its clients leave unread, against {@code max-total-output-bytes}. */
    final OutputBudget output = new OutputBudget(this);
    /** Its clients that sent MONITOR. */
    final MonitorFeed monitors = new MonitorFeed();
    /** Redis CLIENT PAUSE over its clients, on every I/O thread. */
    final ClientPauses pauses;

    /** The open client connections, oldest first: see {@link io.metacluster.spi.ClientContext#clients}. */
    List<ClientPeer> clientPeers() {
        List<ClientPeer> peers = new ArrayList<>(clientChannels.size());
        for (Channel channel : clientChannels) {
            ClientSession session = channel.pipeline().get(ClientSession.class);
            if (session != null && !session.killed()) {
                peers.add(session);
            }
        }
        peers.sort(Comparator.comparingLong(ClientPeer::id));
        return peers;
    }

    Listener(ListenerPlan config, ListenerMetrics metrics) {
        this.config = config;
        this.protocol = config.protocol();
        this.selector = config.read();
        this.writePolicy = config.write();
        this.metrics = metrics;
        this.pauses = new ClientPauses(config.name());
        this.tls = Tls.server(config.tls());
        this.protocolOptions = config.protocolOptions();
    }

    void addLoop(EventLoop loop, List<LoopCluster> clusters) {
        clustersByLoop.put(loop, List.copyOf(clusters));
    }

    /**
     * A reloaded config of the same name, protocol and address: what clients see changes for
     * their next request (clusters, strategies, limits, auth) or, for what a connection takes
     * when accepted (codec limits, TLS, protocol options, idle timeout), for new connections.
     */
    void reconfigure(ListenerPlan config, Map<EventLoop, List<LoopCluster>> clustersByLoop, ReadVerifier verifier) {
        Map<EventLoop, List<LoopCluster>> copy = new IdentityHashMap<>();
        clustersByLoop.forEach((loop, clusters) -> copy.put(loop, List.copyOf(clusters)));
        this.clustersByLoop = copy;
        this.selector = config.read();
        this.writePolicy = config.write();
        this.verifier = verifier;
        this.tls = Tls.server(config.tls());
        this.protocolOptions = config.protocolOptions();
        this.config = config;
    }

    void verifier(ReadVerifier verifier) {
        this.verifier = verifier;
    }

    String name() {
        return config.name();
    }

    ListenerPlan config() {
        return config;
    }

    Protocol protocol() {
        return protocol;
    }

    ReadSelector selector() {
        return selector;
    }

    WritePolicy writePolicy() {
        return writePolicy;
    }

    ReadVerifier verifier() {
        return verifier;
    }

    LimitsConfig limits() {
        return config.limits();
    }

    ListenerMetrics metrics() {
        return metrics;
    }

    List<LoopCluster> clustersOf(EventLoop loop) {
        List<LoopCluster> clusters = clustersByLoop.get(loop);
        if (clusters == null) {
            throw new IllegalStateException("event loop " + loop + " is not one of the engine's");
        }
        return clusters;
    }

    /** Takes a client place if one is free under {@code max-clients}. */
    boolean admit() {
        if (clients.incrementAndGet() > config.limits().maxClients()) {
            clients.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        clients.decrementAndGet();
    }

    /** The engine's side of a {@link ReadVerifier}: sends reads outside any client session. */
    VerifyContext verifyContext(MetricRegistry registry) {
        Metrics metrics = new RegistryMetrics(registry, MetricRegistry.name("listener", config.name(), "verify"));
        return new VerifyContext() {
            @Override
            public String listener() {
                return config.name();
            }

            @Override
            public Protocol protocol() {
                return protocol;
            }

            @Override
            public List<? extends ClusterView> clusters() {
                Map<EventLoop, List<LoopCluster>> clustersByLoop = Listener.this.clustersByLoop;
                for (Map.Entry<EventLoop, List<LoopCluster>> entry : clustersByLoop.entrySet()) {
                    if (entry.getKey().inEventLoop()) {
                        return entry.getValue();
                    }
                }
                return clustersByLoop.values().iterator().next();
            }

            @Override
            public void schedule(Runnable task, long delayMillis, Runnable onShutdown) {
                for (EventLoop loop : clustersByLoop.keySet()) {
                    if (loop.inEventLoop()) {
                        try {
                            loop.schedule(task, delayMillis, TimeUnit.MILLISECONDS).addListener(future -> {
                                if (future.isCancelled()) {
                                    onShutdown.run();
                                }
                            });
                        } catch (RejectedExecutionException stopping) {
                            onShutdown.run();
                        }
                        return;
                    }
                }
                throw new IllegalStateException("VerifyContext.schedule must be called on one of the listener's event loops");
            }

            @Override
            public Metrics metrics() {
                return metrics;
            }

            @Override
            public int writesInFlight(ClusterView cluster, ByteBuf key) {
                WriteTracker writes = own(cluster).cluster.writes;
                return writes == null ? 0 : writes.inFlight(key);
            }

            @Override
            public long writesStarted(ClusterView cluster, ByteBuf key) {
                WriteTracker writes = own(cluster).cluster.writes;
                return writes == null ? 0 : writes.started(key);
            }

            /** The engine's own view, also of a cluster a config reload has just taken out of the listener. */
            private LoopCluster own(ClusterView cluster) {
                if (cluster instanceof LoopCluster loopCluster) {
                    return loopCluster;
                }
                return clustersByLoop.values().iterator().next().stream().filter(c -> c.name().equals(cluster.name()))
                        .findFirst().orElseThrow(() -> new IllegalArgumentException("no cluster " + cluster.name()
                                + " in listener " + config.name()));
            }

            @Override
            public void execute(Runnable task) {
                EventLoop[] loops = clustersByLoop.keySet().toArray(EventLoop[]::new);
                // what the task sends leaves in one write per connection, not one per request
                loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)].execute(() -> {
                    FlushBatch batch = FlushBatch.current();
                    batch.begin();
                    try {
                        task.run();
                    } finally {
                        batch.end();
                    }
                });
            }

            @Override
            public boolean canWalkKeys(ClusterView cluster) {
                return KeyWalks.canWalk(own(cluster).cluster);
            }

            @Override
            public void walkKeys(ClusterView cluster, NodeSync.KeyBatches batches) throws IOException, InterruptedException {
                KeyWalks.walk(own(cluster).cluster, batches,
                        () -> clustersByLoop.keySet().iterator().next().isShuttingDown());
            }

            @Override
            public void send(ClusterView cluster, Command command, ReplyHandler handler) {
                List<LoopCluster> own = null;
                for (Map.Entry<EventLoop, List<LoopCluster>> entry : Listener.this.clustersByLoop.entrySet()) {
                    if (entry.getKey().inEventLoop()) {
                        own = entry.getValue();
                    }
                }
                if (own == null) {
                    throw new IllegalStateException("VerifyContext.send must be called on one of the listener's event loops");
                }
                LoopCluster target = own.stream().filter(c -> c.name().equals(cluster.name())).findFirst().orElse(null);
                if (target == null) {
                    // a check begun before a config reload took the cluster out of the listener
                    handler.onFailure("cluster " + cluster.name() + " is no longer in listener " + config.name());
                    return;
                }
                target.send(command, 0, new ReplyListener() {
                    @Override
                    public void onReply(ByteBuf reply, boolean error) {
                        handler.onReply(reply);
                    }

                    @Override
                    public void onFailure(String reason) {
                        handler.onFailure(reason);
                    }
                });
            }
        };
    }
}
