package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend connection of one client's own ({@link io.metacluster.spi.CommandKind#PINNED}): says
 * the protocol's hello (AUTH, SELECT, PING), then hands every complete message the node sends to
 * its {@link PinnedListener}, as it comes (such a connection may get messages nobody asked for, a
 * subscription's, so there is no request to match). Lives on the client's event loop.
 */
final class PinnedConnection extends BackendDecoder {
    private static final Logger log = LoggerFactory.getLogger(PinnedConnection.class);

    private final PinnedListener listener;

    PinnedConnection(PinnedListener listener, BackendCodec codec, int helloTimeoutMs) {
        super(codec, helloTimeoutMs);
        this.listener = listener;
    }

    @Override
    protected void ready(ChannelHandlerContext ctx) {
        listener.pinnedReady(ctx.channel());
    }

    @Override
    protected void decodeTraffic(ChannelHandlerContext ctx, ByteBuf in) throws ProtocolException {
        while (in.isReadable() && ctx.channel().isActive()) {
            int length = codec.replyLength(in, null);
            if (length < 0) {
                return;
            }
            listener.pinnedMessage(ctx.channel(), in.readRetainedSlice(length));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        listener.pinnedClosed(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(ctx, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    @Override
    protected void close(ChannelHandlerContext ctx, String reason) {
        log.debug("closing the pinned connection of client {}: {}", listener.client(), reason);
        ctx.close();
    }
}
