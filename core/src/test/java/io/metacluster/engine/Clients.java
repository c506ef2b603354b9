package io.metacluster.engine;

import com.codahale.metrics.MetricRegistry;
import io.metacluster.config.AuthConfig;
import io.metacluster.config.LimitsConfig;
import io.metacluster.config.ListenerPlan;
import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.WritePolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test fixture: a {@link Listener} of the {@link InlineRedisProtocol} without clusters, client
 * connections on an {@link EmbeddedChannel}, and the conversions between text and buffers.
 * Buffers come from the pooled default allocator, so the leak detector sees them.
 */
final class Clients {
    private Clients() {
    }

    /** A listener with {@code limits} and {@code auth} (or none); its read selector takes the first healthy cluster. */
    static Listener listener(LimitsConfig limits, AuthConfig auth) {
        ListenerPlan plan = new ListenerPlan("test", new InlineRedisProtocol(), null, null, List.of(), Clients::firstHealthy,
                tally -> WritePolicy.Verdict.SUCCEEDED, null, limits, null, auth, false, "");
        return new Listener(plan, new ListenerMetrics(new MetricRegistry(), "test"));
    }

    static LimitsConfig limits(int maxPending, int maxClients, long maxOutputBytes) {
        return new LimitsConfig(0, 0, 0, maxPending, maxClients, maxOutputBytes, 0, 0);
    }

    private static ClusterView firstHealthy(Command command, List<? extends ClusterView> candidates) {
        for (ClusterView candidate : candidates) {
            if (candidate.healthy()) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * A client of {@code listener} as the engine sets one up (frame decoder, then session), on an
     * embedded channel whose event loop the listener knows, with no clusters.
     */
    static EmbeddedChannel connect(Listener listener) {
        EmbeddedChannel channel = new EmbeddedChannel();
        listener.addLoop(channel.eventLoop(), List.of());
        InlineRedisProtocol.Codec codec = new InlineRedisProtocol.Codec();
        channel.pipeline().addLast(new ClientFrameDecoder(codec), new ClientSession(listener, codec));
        // the embedded channel was active before the session was added: tell it, as Netty does at connect
        channel.pipeline().fireChannelActive();
        return channel;
    }

    /**
     * An embedded channel with one handler, whose context a part under test writes to. As the
     * session does, it closes the channel on an exception (a write to a closed channel).
     */
    static EmbeddedChannel bare() {
        return new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        });
    }

    static ByteBuf buf(String text) {
        return ByteBufUtil.writeAscii(ByteBufAllocator.DEFAULT, text);
    }

    /** {@code line} (CRLF added) decoded into a command of the line protocol. */
    static Command command(String line) {
        ByteBuf in = buf(line + "\r\n");
        try {
            return new InlineRedisProtocol.Codec().decode(in);
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        } finally {
            in.release();
        }
    }

    /** Every buffer the channel wrote, as text, released. */
    static List<String> written(EmbeddedChannel channel) {
        List<String> texts = new ArrayList<>();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            if (buf.isReadable()) {
                texts.add(buf.toString(StandardCharsets.US_ASCII));
            }
            buf.release();
        }
        return texts;
    }

    /** Sends {@code lines} (CRLF added) as the client and returns what it was written back. */
    static List<String> send(EmbeddedChannel client, String... lines) {
        receive(client, buf(String.join("\r\n", lines) + "\r\n"));
        return written(client);
    }

    /**
     * {@code bytes} arrive from the client as one read batch. A real channel ends every read batch
     * ({@code channelReadComplete}), even one during which it closed; an embedded channel that
     * closed has dropped its handlers by then, so the thread's {@link FlushBatch} is ended here,
     * or it would stay open for the next tests.
     */
    static void receive(EmbeddedChannel client, ByteBuf bytes) {
        client.pipeline().fireChannelRead(bytes);
        client.pipeline().fireChannelReadComplete();
        FlushBatch.current().end();
        client.runPendingTasks();
    }
}
