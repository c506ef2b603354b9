package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the readers of backend connections (shared ones and pinned ones) have in common: each
 * read is part of the event loop's {@link FlushBatch}, so the replies it hands on are flushed
 * to their clients together, and a connection starts with the protocol's hello (AUTH, SELECT,
 * PING), which must be answered, without an error and in time, before it takes traffic. A
 * connection that learns its node's identity ({@link NodeSync}) asks it right after the hello,
 * and reports it before it takes traffic.
 */
abstract class BackendDecoder extends ByteToMessageDecoder {
    protected final BackendCodec codec;
    private final int helloTimeoutMs;
    /** Asks the node who it is after the hello, or {@code null}. */
    private final NodeSync identify;
    /** Replies to the hello still to come, the identity's included. */
    private int helloReplies;

    /**
     * @param helloTimeoutMs how long a node may take to answer the hello: one that accepts the
     *                       TCP connection but does not answer (a frozen process) is given up on
     */
    protected BackendDecoder(BackendCodec codec, int helloTimeoutMs) {
        this(codec, helloTimeoutMs, null);
    }

    /** @param identify the protocol's way to ask the node's identity after the hello, or {@code null} */
    protected BackendDecoder(BackendCodec codec, int helloTimeoutMs, NodeSync identify) {
        this.codec = codec;
        this.helloTimeoutMs = helloTimeoutMs;
        this.identify = identify;
    }

    /** The node said who it is, or {@code null} if it did not (only with a {@link NodeSync}); called before {@link #ready}. */
    protected void identified(NodeIdentity identity) {
    }

    /** The hello was answered: the connection may take traffic. */
    protected abstract void ready(ChannelHandlerContext ctx);

    /** Closes the connection, saying why (to the log at debug, or wherever the reader keeps it). */
    protected abstract void close(ChannelHandlerContext ctx, String reason);

    /** The traffic after the hello, at the reader index of a readable {@code in}; contract of {@link #decode}. */
    protected abstract void decodeTraffic(ChannelHandlerContext ctx, ByteBuf in) throws ProtocolException;

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        List<ByteBuf> hello = codec.handshake(ctx.alloc());
        helloReplies = hello.size() + (identify == null ? 0 : 1);
        if (helloReplies > 0) {
            ctx.executor().schedule(() -> {
                if (helloReplies > 0 && ctx.channel().isActive()) {
                    close(ctx, "no answer to the connection handshake within " + helloTimeoutMs + " ms");
                }
            }, helloTimeoutMs, TimeUnit.MILLISECONDS);
        }
        for (ByteBuf request : hello) {
            ctx.write(request, ctx.voidPromise());
        }
        if (identify != null) {
            ctx.write(identify.identityRequest(ctx.alloc()), ctx.voidPromise());
        }
        ctx.flush();
        if (helloReplies == 0) {
            ready(ctx);
        }
        super.channelActive(ctx);
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (helloReplies > 0) {
                if (helloReplies == 1 && identify != null) {
                    int length = identify.identityReplyLength(in);
                    if (length < 0) {
                        return;
                    }
                    identified(identify.identity(in.readSlice(length)));
                    helloReplies = 0;
                    ready(ctx);
                    break;
                }
                int length = codec.replyLength(in, null);
                if (length < 0) {
                    return;
                }
                ByteBuf reply = in.readSlice(length);
                if (codec.isError(null, reply)) {
                    close(ctx, "handshake refused: " + printable(reply));
                    return;
                }
                if (--helloReplies == 0) {
                    ready(ctx);
                }
            }
            if (in.isReadable() && ctx.channel().isActive()) {
                decodeTraffic(ctx, in);
            }
        } catch (ProtocolException e) {
            close(ctx, "unreadable reply: " + e.getMessage());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        FlushBatch.current().begin();
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        super.channelReadComplete(ctx);
        FlushBatch.current().end();
    }

    /** Up to 120 bytes of {@code buf} as text, for log lines. */
    protected static String printable(ByteBuf buf) {
        int length = Math.min(buf.readableBytes(), 120);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            char c = (char) (buf.getByte(buf.readerIndex() + i) & 0xff);
            text.append(c >= 32 && c < 127 ? c : '.');
        }
        return text.toString();
    }
}
