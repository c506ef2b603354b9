package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.NodeLink;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A {@link NodeLink}: a connection of its own to one node for a resync, said its hello like any
 * backend connection, then read by one blocking thread. What arrives is kept until that thread
 * frames it; reading from the socket pauses while much is kept, so a long walk over a big node
 * (memcached's metadump) does not fill the heap.
 */
final class NodeLinkConnection extends BackendDecoder implements NodeLink, AutoCloseable {
    private static final int PAUSE_ABOVE = 4 * 1024 * 1024;

    private final long timeoutMs;
    /** Received and not yet read; guarded by this. */
    private final ByteBuf received = Unpooled.buffer(64 * 1024);
    private Channel channel;
    private boolean ready;
    private String closedReason;
    private boolean unflushed;

    private NodeLinkConnection(BackendCodec codec, int helloTimeoutMs, long timeoutMs) {
        super(codec, helloTimeoutMs);
        this.timeoutMs = timeoutMs;
    }

    /** Connects to {@code through}'s node and waits until it said its hello. */
    static NodeLinkConnection open(NodeConnection through, long timeoutMs) throws IOException, InterruptedException {
        NodeLinkConnection[] made = new NodeLinkConnection[1];
        ChannelFuture future = through.connectOwn(codec -> made[0] = new NodeLinkConnection(codec,
                through.connectTimeoutMs(), timeoutMs));
        if (!future.await(through.connectTimeoutMs() + 1000L) || !future.isSuccess()) {
            future.channel().close();
            throw new IOException("cannot connect to node " + through.node() + ": "
                    + (future.cause() == null ? "timed out" : future.cause().getMessage()));
        }
        NodeLinkConnection link = made[0];
        link.awaitReady(future.channel(), through.connectTimeoutMs() + 1000L);
        return link;
    }

    private synchronized void awaitReady(Channel channel, long waitMs) throws IOException, InterruptedException {
        this.channel = channel;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (!ready && closedReason == null) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                close();
                throw new IOException("no answer to the handshake within " + waitMs + " ms");
            }
            wait(left);
        }
        if (closedReason != null) {
            throw new IOException(closedReason);
        }
    }

    @Override
    protected synchronized void ready(ChannelHandlerContext ctx) {
        ready = true;
        notifyAll();
    }

    @Override
    protected void decodeTraffic(ChannelHandlerContext ctx, ByteBuf in) {
        synchronized (this) {
            if (received.refCnt() == 0) {
                in.skipBytes(in.readableBytes());
                return;
            }
            received.writeBytes(in);
            notifyAll();
            if (received.readableBytes() > PAUSE_ABOVE) {
                ctx.channel().config().setAutoRead(false);
            }
        }
    }

    @Override
    public void send(ByteBuf request) {
        channel.write(request, channel.voidPromise());
        unflushed = true;
    }

    @Override
    public ByteBuf read(Framer framer) throws IOException {
        if (unflushed) {
            unflushed = false;
            channel.flush();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (this) {
            try {
                int length;
                while ((length = framer.length(received)) < 0) {
                    if (closedReason != null) {
                        throw new IOException(closedReason);
                    }
                    if (!channel.config().isAutoRead()) {
                        channel.config().setAutoRead(true);
                    }
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new IOException("node " + channel.remoteAddress() + " sent no reply within " + timeoutMs + " ms");
                    }
                    wait(left);
                }
                ByteBuf reply = received.readBytes(length);
                if (received.readerIndex() > PAUSE_ABOVE / 4) {
                    received.discardReadBytes();
                }
                if (received.readableBytes() < PAUSE_ABOVE / 2 && !channel.config().isAutoRead()) {
                    channel.config().setAutoRead(true);
                }
                return reply;
            } catch (ProtocolException e) {
                throw new IOException("unreadable reply from node " + channel.remoteAddress() + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        closed("connection closed by the node");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(ctx, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    @Override
    protected void close(ChannelHandlerContext ctx, String reason) {
        closed(reason);
        ctx.close();
    }

    private synchronized void closed(String reason) {
        if (closedReason == null) {
            closedReason = reason;
        }
        notifyAll();
    }

    /** Closes the connection and lets go of what it kept. */
    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        synchronized (this) {
            closed("closed");
            if (received.refCnt() > 0) {
                received.release();
            }
        }
    }
}
