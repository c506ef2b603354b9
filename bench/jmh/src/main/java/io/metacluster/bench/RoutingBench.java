package io.metacluster.bench;

import io.metacluster.config.ConfigLoader;
import io.metacluster.engine.Engine;
import io.metacluster.locality.LocalityStrategy;
import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.Protocol;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.ServerProcess;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's whole request path, in-process: a client socket, the engine (ClientFrameDecoder,
 * ClientSession, the read strategy or the write fan-out and policy, NodeConnection, ReplyReader)
 * on one I/O thread, and real backend servers started as child processes on free loopback ports.
 *
 * <p>Each invocation writes a pipelined batch of {@value #BATCH} requests ({@code GET} or
 * {@code SET} of one key, a {@code size}-byte value, 32 by default) on a blocking {@link SocketChannel}
 * and reads until exactly the {@value #BATCH} expected replies arrived. With {@code clusters=3}
 * the first cluster is {@code local: true}: reads go to it, writes go to all three (policy
 * {@code first}: the client's reply is the first success). Replay keeps missed writes in memory
 * only ({@code replay.dir: ""}). The replies are compared byte for byte with the expected ones
 * in setup and after every iteration, so errors cannot be measured silently.
 *
 * <p>Scores and {@code gc.alloc.rate.norm} (B/op) are per command ({@link OperationsPerInvocation}).
 * The engine's event loop runs in the benchmark's JVM, so {@code -prof gc} counts its allocations
 * together with the client's; the client side (preallocated direct buffers, blocking NIO)
 * allocates close to nothing, so B/op is essentially the engine's. The time per command is the
 * batch's round trip over loopback (client to proxy to backend and back, backend work included)
 * divided by {@value #BATCH}; the client, the I/O thread and the backends share the machine's cores.
 */
@State(Scope.Thread)
@Fork(jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled",
        "-Dio.netty.recycler.chunkSize=1024"}) // as bin/metacluster runs the daemon
public abstract class RoutingBench {
    static final int BATCH = CodecBench.BATCH;
    static final String KEY = "bench:routing";

    @Param({"GET", "SET"})
    public String op;

    /** The value's bytes. */
    @Param({"32"})
    public int size;

    /** 1: one cluster of one node; 3: three clusters of one node each; the first is {@code local: true}. */
    @Param({"1", "3"})
    public int clusters;

    private final List<ServerProcess> servers = new ArrayList<>();
    private PluginHost plugins;
    private Engine engine;
    private SocketChannel channel;
    private ByteBuffer requests;
    private ByteBuffer replies;
    private ByteBuffer expected;

    /** The protocol and its request and reply encoders (shared with the codec benchmark). */
    abstract CodecBench wire();

    /** Starts one backend server of the protocol on a free loopback port. */
    abstract ServerProcess startServer();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        try {
            CodecBench wire = wire();
            Protocol protocol = wire.protocol();
            for (int i = 0; i < clusters; i++) {
                servers.add(startServer());
            }
            int port = FreePorts.find();
            plugins = PluginHost.of(protocol, new LocalityStrategy());
            engine = Engine.start(ConfigLoader.parse("routing-bench.yaml", config(protocol.name(), port), plugins));
            awaitHealthy();
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress("127.0.0.1", port));

            byte[] key = KEY.getBytes(StandardCharsets.US_ASCII);
            byte[] value = new byte[size];
            Arrays.fill(value, (byte) 'x');
            // the key the GETs read, written through the proxy (so to every cluster)
            ByteBuffer setExpected = direct(wire.reply("SET", key, value));
            ByteBuffer setReplies = ByteBuffer.allocateDirect(setExpected.capacity());
            checkedRoundTrip(direct(wire.request("SET", key, value)), setReplies, setExpected, "the setup SETs");

            requests = direct(wire.request(op, key, value));
            expected = direct(wire.reply(op, key, value));
            replies = ByteBuffer.allocateDirect(expected.capacity());
            checkedRoundTrip(requests, replies, expected, "the first batch");
        } catch (Exception | Error e) {
            tearDown();
            throw e;
        }
    }

    private String config(String protocol, int port) {
        StringJoiner names = new StringJoiner(", ");
        StringBuilder blocks = new StringBuilder();
        for (int i = 0; i < servers.size(); i++) {
            names.add("dc" + (i + 1));
            blocks.append("  - { name: dc%d, local: %b, nodes: [\"%s\"] }\n".formatted(i + 1, i == 0, servers.get(i).address()));
        }
        return """
                io-threads: 1
                replay: { dir: "" }
                listeners:
                  - name: bench
                    protocol: %s
                    bind: 127.0.0.1:%d
                    clusters: [%s]
                clusters:
                %s""".formatted(protocol, port, names, blocks);
    }

    private void awaitHealthy() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (engine.clusterHealth().containsValue(false)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("clusters not healthy after 30 s: " + engine.clusterHealth());
            }
            Thread.sleep(20);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void roundTrip() throws IOException {
        roundTrip(requests, replies);
    }

    /** Writes all of {@code out}, then reads until {@code in} (sized to the expected replies) is full. */
    private void roundTrip(ByteBuffer out, ByteBuffer in) throws IOException {
        out.clear();
        while (out.hasRemaining()) {
            channel.write(out);
        }
        in.clear();
        while (in.hasRemaining()) {
            if (channel.read(in) < 0) {
                throw new EOFException("the proxy closed the connection after " + in.position() + " of "
                        + in.capacity() + " reply bytes");
            }
        }
    }

    /**
     * {@link #roundTrip(ByteBuffer, ByteBuffer)} for setup: non-blocking with a deadline, so that
     * replies shorter than expected (an error) fail instead of hanging; then {@link #check}.
     */
    private void checkedRoundTrip(ByteBuffer out, ByteBuffer in, ByteBuffer expected, String what)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        out.clear();
        in.clear();
        channel.configureBlocking(false);
        try {
            while (out.hasRemaining() || in.hasRemaining()) {
                int moved = channel.write(out);
                int read = channel.read(in);
                if (read < 0) {
                    throw new EOFException("the proxy closed the connection; replies to " + what + " so far:\n" + text(in.flip()));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + in.position() + " of " + in.capacity() + " reply bytes to "
                            + what + " within 10 s:\n" + text(in.flip()) + "\nexpected:\n" + text(expected));
                }
                if (moved + read == 0) {
                    Thread.sleep(1);
                }
            }
        } finally {
            channel.configureBlocking(true);
        }
        check(in, expected, what);
    }

    /** The last batch's replies were the expected ones (outside the measurement; allocates only on failure). */
    @TearDown(Level.Iteration)
    public void checkReplies() {
        check(replies, expected, "the last batch of the iteration");
    }

    private static void check(ByteBuffer actual, ByteBuffer expected, String what) {
        actual.clear();
        expected.clear();
        if (!actual.equals(expected)) {
            throw new IllegalStateException("unexpected replies to " + what + ":\n" + text(actual) + "\nexpected:\n"
                    + text(expected));
        }
    }

    /** The remaining bytes of {@code buffer} as text, for failure messages. */
    private static String text(ByteBuffer buffer) {
        return StandardCharsets.ISO_8859_1.decode(buffer.duplicate()).toString();
    }

    /** A direct buffer of {@value #BATCH} copies of one request or reply. */
    private static ByteBuffer direct(byte[] one) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(one.length * BATCH);
        for (int i = 0; i < BATCH; i++) {
            buffer.put(one);
        }
        return buffer.clear();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (channel != null) {
            channel.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (plugins != null) {
            plugins.close();
        }
        servers.forEach(ServerProcess::close);
        servers.clear();
    }
}
