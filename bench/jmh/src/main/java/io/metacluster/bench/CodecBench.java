package io.metacluster.bench;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The protocol side of forwarding one command, through the public SPI exactly as the engine
 * calls it, without sockets:
 * <ul>
 *   <li>{@code decode}: {@link ClientCodec#decode} of a pipelined batch of {@value #BATCH}
 *       requests from a pooled direct buffer (the frame is a retained slice; released after);</li>
 *   <li>{@code reply}: splitting a batch of {@value #BATCH} backend replies with
 *       {@link BackendCodec#replyLength}, {@code readRetainedSlice}, {@link BackendCodec#isError}
 *       and {@link ClientCodec#present}, as the engine does before writing a reply;</li>
 *   <li>{@code forward}: both, i.e. the protocol work of one forwarded command.</li>
 * </ul>
 * Scores and {@code gc.alloc.rate.norm} (B/op) are per command ({@link OperationsPerInvocation}).
 * The engine's own path (ClientSession, Router, NodeConnection) is package-private in core and
 * is not measured here; its allocations come on top of these.
 */
@State(Scope.Thread)
@Fork(jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dio.netty.recycler.chunkSize=1024"}) // as bin/metacluster
public abstract class CodecBench {
    static final int BATCH = 16;
    static final String KEY = "key:__rand_int__";

    @Param({"GET", "SET"})
    public String op;

    @Param({"32", "1024"})
    public int size;

    ClientCodec client;
    BackendCodec[] backends;
    ByteBuf requests;
    ByteBuf replies;
    Command[] decoded;

    abstract Protocol protocol();

    abstract byte[] request(String op, byte[] key, byte[] value);

    abstract byte[] reply(String op, byte[] key, byte[] value);

    @Setup(Level.Trial)
    public void setUp() throws ProtocolException {
        Protocol protocol = protocol();
        client = protocol.newClientCodec(ClientLimits.DEFAULTS);
        backends = new BackendCodec[protocol.backendLanes()];
        for (int lane = 0; lane < backends.length; lane++) {
            backends[lane] = protocol.newBackendCodec(new BackendSettings("bench", "127.0.0.1:1", null, null, 0), lane);
        }
        byte[] key = KEY.getBytes(StandardCharsets.US_ASCII);
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'x');
        requests = PooledByteBufAllocator.DEFAULT.directBuffer();
        replies = PooledByteBufAllocator.DEFAULT.directBuffer();
        for (int i = 0; i < BATCH; i++) {
            requests.writeBytes(request(op, key, value));
            replies.writeBytes(reply(op, key, value));
        }
        // the requests the replies answer, kept for the reply benchmark
        decoded = new Command[BATCH];
        for (int i = 0; i < BATCH; i++) {
            decoded[i] = client.decode(requests);
            if (decoded[i] == null) {
                throw new IllegalStateException("request " + i + " did not decode");
            }
        }
        if (requests.isReadable()) {
            throw new IllegalStateException("bytes left after " + BATCH + " requests");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Command c : decoded) {
            c.release();
        }
        requests.release();
        replies.release();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void decode(Blackhole bh) throws ProtocolException {
        ByteBuf in = requests;
        in.readerIndex(0);
        for (int i = 0; i < BATCH; i++) {
            Command c = client.decode(in);
            bh.consume(c.kind());
            bh.consume(c.keyCount());
            c.release();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void reply(Blackhole bh) throws ProtocolException {
        splitReplies(bh);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void forward(Blackhole bh) throws ProtocolException {
        ByteBuf in = requests;
        in.readerIndex(0);
        for (int i = 0; i < BATCH; i++) {
            Command c = client.decode(in);
            bh.consume(c.kind());
            bh.consume(c.lane());
            c.release();
        }
        splitReplies(bh);
    }

    private void splitReplies(Blackhole bh) throws ProtocolException {
        ByteBuf in = replies;
        in.readerIndex(0);
        for (int i = 0; i < BATCH; i++) {
            Command request = decoded[i];
            BackendCodec backend = backends[request.lane()];
            int length = backend.replyLength(in, request);
            ByteBuf reply = in.readRetainedSlice(length);
            bh.consume(backend.isError(request, reply));
            ByteBuf shown = client.present(request, reply);
            if (shown != null) {
                shown.release();
            }
        }
    }
}
