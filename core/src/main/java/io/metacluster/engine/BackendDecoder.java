package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the readers of backend connections (shared ones and pinned ones) have in common: each
 * read is part of the event loop's {@link FlushBatch}, so the replies it hands on are flushed
 * to their clients together, and a connection starts with the protocol's hello.
 */
abstract class BackendDecoder extends ByteToMessageDecoder {
    /** Replies to the hello still to come; the connection takes no traffic before they did. */
    protected int handshakeReplies;

    /**
     * Writes the hello requests and counts the replies they will get. A node that accepts the
     * TCP connection but does not answer within {@code timeoutMs} (a frozen process) is given
     * up on: {@link #close} with the reason.
     */
    protected final void sayHello(ChannelHandlerContext ctx, List<ByteBuf> hello, int timeoutMs) {
        handshakeReplies = hello.size();
        if (handshakeReplies > 0) {
            ctx.executor().schedule(() -> {
                if (handshakeReplies > 0 && ctx.channel().isActive()) {
                    close(ctx, "no answer to the connection handshake within " + timeoutMs + " ms");
                }
            }, timeoutMs, TimeUnit.MILLISECONDS);
        }
        for (ByteBuf request : hello) {
            ctx.write(request, ctx.voidPromise());
        }
        ctx.flush();
    }

    /** Closes the connection, saying why (to the log at debug, or wherever the reader keeps it). */
    protected abstract void close(ChannelHandlerContext ctx, String reason);

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
}
