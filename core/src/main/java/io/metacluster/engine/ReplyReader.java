package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits a backend's byte stream into replies, as slices of what arrived (no copy), and hands
 * each to the request it answers. One per backend channel.
 */
final class ReplyReader extends BackendDecoder {
    private static final Logger log = LoggerFactory.getLogger(ReplyReader.class);
    static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf("metacluster.closeReason");

    private final NodeConnection connection;

    ReplyReader(NodeConnection connection, BackendCodec codec, NodeSync identify) {
        super(codec, connection.connectTimeoutMs(), identify);
        this.connection = connection;
    }

    @Override
    protected void identified(NodeIdentity identity) {
        connection.node().identified(identity);
    }

    @Override
    protected void ready(ChannelHandlerContext ctx) {
        connection.becomeReady();
    }

    @Override
    protected void decodeTraffic(ChannelHandlerContext ctx, ByteBuf in) throws ProtocolException {
        // the clock itself, not the read batch's: this must not depend on a batch being closed properly
        connection.heard(System.nanoTime());
        while (in.isReadable() && ctx.channel().isActive()) {
            Command oldest = connection.oldest();
            if (oldest == null) {
                close(ctx, "reply with no request in flight: " + printable(in));
                return;
            }
            int length = codec.replyLength(in, oldest);
            if (length < 0) {
                return;
            }
            boolean error = codec.isError(oldest, in);
            ByteBuf reply;
            if (connection.oldestWantsReply()) {
                reply = in.readRetainedSlice(length);
            } else {
                in.skipBytes(length);
                reply = null;
            }
            connection.replied(reply, error);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        String reason = ctx.channel().attr(CLOSE_REASON).get();
        super.channelInactive(ctx);
        connection.closed(ctx.channel(), reason == null ? "closed by the node" : reason);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(ctx, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    @Override
    protected void close(ChannelHandlerContext ctx, String reason) {
        log.debug("closing connection to {}: {}", connection.node(), reason);
        ctx.channel().attr(CLOSE_REASON).setIfAbsent(reason);
        ctx.close();
    }
}
