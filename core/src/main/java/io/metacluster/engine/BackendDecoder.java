package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * What the readers of backend connections (shared ones and pinned ones) have in common: each
 * read is part of the event loop's {@link FlushBatch}, so the replies it hands on are flushed
 * to their clients together, and a connection starts with the protocol's hello.
 */
abstract class BackendDecoder extends ByteToMessageDecoder {
    /** Replies to the hello still to come; the connection takes no traffic before they did. */
    protected int handshakeReplies;

    /** Writes the hello requests and counts the replies they will get. */
    protected final void sayHello(ChannelHandlerContext ctx, List<ByteBuf> hello) {
        handshakeReplies = hello.size();
        for (ByteBuf request : hello) {
            ctx.write(request, ctx.voidPromise());
        }
        ctx.flush();
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
}
