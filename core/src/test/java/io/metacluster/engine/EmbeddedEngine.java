package io.metacluster.engine;

import com.codahale.metrics.MetricRegistry;
import io.metacluster.config.BackendConfig;
import io.metacluster.config.ClusterPlan;
import io.metacluster.config.HostPort;
import io.metacluster.config.LimitsConfig;
import io.metacluster.config.ListenerPlan;
import io.metacluster.config.ReplayConfig;
import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.Topology;
import io.metacluster.spi.WritePolicy;
import io.metacluster.spi.WritePolicyFactory;
import io.metacluster.testing.EmbeddedSocketChannel;
import io.metacluster.testing.LineProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.resolver.DefaultAddressResolverGroup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The engine's own classes (clusters, nodes, their connections and replay logs, listeners and
 * client sessions) wired as {@link Engine} wires them, but on the one event loop of an
 * {@link EmbeddedChannel}, with {@link EmbeddedSocketChannel}s for sockets: a test is the client
 * ({@link #send}, {@link #received}) and plays every backend node ({@link #sent}, {@link #reply}),
 * byte for byte, on its own thread, with time standing still until it {@link #advance advances}.
 * Nodes start unconnected ("down"); {@link #connect} brings one up.
 */
final class EmbeddedEngine implements AutoCloseable {
    /** Reconnects after 50-100 ms; requests never time out, nodes are never suspected nor probed, unless a test waits a minute. */
    static final BackendConfig BACKEND = new BackendConfig(1000, 60_000, 0, 100, 100, 60_000);
    /** No disk, small bounds: overflows are easy to reach. */
    static final ReplayConfig MEMORY_REPLAY = new ReplayConfig("", 1000, 1 << 20, ReplayConfig.OnOverflow.FLUSH);

    private final EmbeddedChannel loopOwner = new EmbeddedChannel();
    final EventLoop loop = loopOwner.eventLoop();
    final Protocol protocol;
    final MetricRegistry metrics = new MetricRegistry();
    private final Transport transport = new Transport("embedded", null, null, EmbeddedSocketChannel.class);
    private final List<Cluster> clusters = new ArrayList<>();
    private final List<NodeConnection> started = new ArrayList<>();
    private final List<EmbeddedChannel> clients = new ArrayList<>();
    private int nextPort = 10_000;

    EmbeddedEngine(Protocol protocol) {
        this.protocol = protocol;
        loopOwner.freezeTime();
        primeResolver(loop);
    }

    /**
     * A {@code Bootstrap} connects through the default resolver group, which keeps one resolver
     * per event loop and, the first time, asks that loop for its termination future: an embedded
     * loop throws there, after the resolver was kept. So the first ask happens here, and the
     * engine's connects find the resolver in place.
     */
    private static void primeResolver(EventLoop loop) {
        try {
            DefaultAddressResolverGroup.INSTANCE.getResolver(loop);
        } catch (UnsupportedOperationException expected) {
            DefaultAddressResolverGroup.INSTANCE.getResolver(loop); // must not throw now
        }
    }

    EmbeddedEngine() {
        this(LineProtocol.plain());
    }

    /** A cluster of {@code nodes} nodes, none connected, each with a memory-only replay log of {@code replay}. */
    Cluster cluster(String name, boolean local, int nodes, ReplayConfig replay, int connectionsPerNode) {
        List<HostPort> addresses = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            addresses.add(new HostPort("127.0.0.1", nextPort++));
        }
        ClusterPlan plan = new ClusterPlan(name, local, addresses, new LastDigitTopology(nodes), protocol, null, null, null, 0,
                null);
        Cluster cluster = new Cluster(plan, new ClusterMetrics(metrics, name), 1);
        for (int n = 0; n < nodes; n++) {
            HostPort address = addresses.get(n);
            Node node = new Node(cluster, address, new BackendSettings(name, address.toString(), null, null, 0), 1,
                    protocol.backendLanes(), connectionsPerNode);
            for (int lane = 0; lane < protocol.backendLanes(); lane++) {
                for (int k = 0; k < connectionsPerNode; k++) {
                    node.connections[0][lane][k] = new NodeConnection(node, loop, 0, protocol, lane, BACKEND, transport,
                            new CountDownLatch(1));
                }
            }
            node.replay = new ReplayLog(node, replay, null, protocol, null);
            cluster.nodes()[n] = node;
        }
        cluster.perLoop[0] = new LoopCluster(cluster, 0);
        clusters.add(cluster);
        return cluster;
    }

    Cluster cluster(String name, boolean local) {
        return cluster(name, local, 1, MEMORY_REPLAY, 1);
    }

    /** A listener over {@code members} whose write policy is the shipped one named {@code policy}. */
    Listener listener(String policy, Cluster... members) {
        List<String> names = new ArrayList<>();
        List<LoopCluster> views = new ArrayList<>();
        for (Cluster cluster : members) {
            names.add(cluster.name());
            views.add(cluster.perLoop[0]);
        }
        ListenerPlan plan = new ListenerPlan("main", protocol, null, new HostPort("127.0.0.1", 1), names, FIRST_HEALTHY,
                writePolicy(policy), null, LimitsConfig.DEFAULTS, null, null, false, "");
        Listener listener = new Listener(plan, new ListenerMetrics(metrics, "main"));
        listener.addLoop(loop, views);
        return listener;
    }

    /** The shipped write policy named {@code name} ({@code first}, {@code local}, {@code quorum}, {@code all}). */
    @SuppressWarnings("unchecked")
    static WritePolicy writePolicy(String name) {
        WritePolicyFactory<NoConfig> factory = (WritePolicyFactory<NoConfig>) PluginHost.of().writePolicies().find(name);
        return factory.create(new NoConfig());
    }

    /** Reads go to the first cluster that can serve them. */
    private static final ReadSelector FIRST_HEALTHY = (command, candidates) ->
            candidates.stream().filter(ClusterView::healthy).findFirst().orElse(null);

    /** A new client connection to {@code listener}. */
    EmbeddedChannel client(Listener listener) {
        var codec = protocol.newClientCodec(listener.limits().clientLimits(false));
        EmbeddedChannel client = EmbeddedChannel.builder().register(false)
                .handlers(new ClientFrameDecoder(codec), new ClientSession(listener, codec)).build();
        loop.register(client);
        clients.add(client);
        run();
        return client;
    }

    /**
     * Opens the connections to {@code node} (the first time) or lets them reconnect (after a
     * drop: time moves past the reconnect delay); they are usable once {@link LineProtocol#withHello()}'s
     * hello is answered, at once otherwise.
     */
    void connect(Node node) {
        boolean first = false;
        for (NodeConnection[] lane : node.connections[0]) {
            for (NodeConnection connection : lane) {
                if (!started.contains(connection)) {
                    started.add(connection);
                    connection.start();
                    first = true;
                }
            }
        }
        if (first) {
            run();
        } else {
            advance(BACKEND.reconnectMaxMs());
        }
    }

    /** Lets {@code millis} pass: scheduled work (reconnects, timeout checks, replay retries) runs. */
    void advance(long millis) {
        loopOwner.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loopOwner.runScheduledPendingTasks();
        run();
    }

    /** Runs what the event loop has queued (flushes at the end of a read batch, connects). */
    void run() {
        for (int i = 0; i < 10 && loopOwner.hasPendingTasks(); i++) {
            loopOwner.runPendingTasks();
        }
        loopOwner.checkException();
    }

    /** The open connections to {@code node}, oldest first. */
    List<EmbeddedSocketChannel> backends(Node node) {
        return EmbeddedSocketChannel.openedOn(loop).stream()
                .filter(channel -> channel.isOpen() && channel.remoteAddress().getPort() == node.address.port())
                .toList();
    }

    /** The one open connection to {@code node}. */
    EmbeddedSocketChannel backend(Node node) {
        List<EmbeddedSocketChannel> open = backends(node);
        if (open.size() != 1) {
            throw new AssertionError(open.size() + " open connections to node " + node + ", expected one");
        }
        return open.get(0);
    }

    /** The connection to the first node of {@code cluster}. */
    EmbeddedSocketChannel backend(Cluster cluster) {
        return backend(cluster.nodes()[0]);
    }

    /** The client sends {@code lines}, each a request without its {@code \r\n}. */
    void send(EmbeddedChannel client, String... lines) {
        client.writeInbound(ascii(String.join("\r\n", lines) + "\r\n"));
        run();
    }

    /** The node behind {@code backend} answers with {@code lines}, each without its {@code \r\n}. */
    void reply(EmbeddedChannel backend, String... lines) {
        backend.writeInbound(ascii(String.join("\r\n", lines) + "\r\n"));
        run();
    }

    /** What {@code backend} was sent since last asked, as text. */
    static String sent(EmbeddedChannel backend) {
        return drain(backend);
    }

    /** What {@code client} was answered since last asked, as text. */
    static String received(EmbeddedChannel client) {
        return drain(client);
    }

    /** The lines of {@link #sent}. */
    static List<String> sentLines(EmbeddedChannel backend) {
        String text = drain(backend);
        return text.isEmpty() ? List.of() : List.of(text.split("\r\n"));
    }

    private static String drain(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        for (Object message; (message = channel.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) message;
            text.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        return text.toString();
    }

    /** {@code text} in a pooled buffer, as the engine's own would be (so that a leak is caught). */
    static ByteBuf ascii(String text) {
        return LineProtocol.ascii(ByteBufAllocator.DEFAULT, text);
    }

    /** {@code line} decoded by the protocol, as a client's request. */
    Command command(String line) {
        ByteBuf in = ascii(line + "\r\n");
        try {
            return protocol.newClientCodec(ClientLimits.DEFAULTS).decode(in);
        } catch (ProtocolException e) {
            throw new IllegalArgumentException(e);
        } finally {
            in.release();
        }
    }

    @Override
    public void close() {
        for (NodeConnection connection : started) {
            connection.stop();
        }
        run();
        for (EmbeddedChannel client : clients) {
            client.finishAndReleaseAll();
        }
        for (EmbeddedSocketChannel backend : EmbeddedSocketChannel.openedOn(loop)) {
            backend.finishAndReleaseAll();
        }
        run();
        for (Cluster cluster : clusters) {
            for (Node node : cluster.nodes()) {
                node.replay.close();
            }
        }
        EmbeddedSocketChannel.forget(loop);
        loopOwner.finishAndReleaseAll();
    }

    /**
     * Key {@code ...N} is on node N (modulo the node count); a keyless command is on every
     * node of a cluster of several.
     */
    private record LastDigitTopology(int nodes) implements Topology {
        @Override
        public int nodeFor(Command command) {
            if (command.keyCount() == 0) {
                return nodes == 1 ? 0 : SPANS_NODES;
            }
            int node = nodeOfKey(command, 0);
            for (int k = 1; k < command.keyCount(); k++) {
                if (nodeOfKey(command, k) != node) {
                    return SPANS_NODES;
                }
            }
            return node;
        }

        @Override
        public int nodeOfKey(Command command, int key) {
            ByteBuf bytes = command.key(key);
            int last = bytes.getByte(bytes.readerIndex() + bytes.readableBytes() - 1);
            return Character.isDigit(last) ? (last - '0') % nodes : 0;
        }
    }
}
