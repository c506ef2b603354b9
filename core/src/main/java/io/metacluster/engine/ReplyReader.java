package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Splits a backend's byte stream into replies, as slices of what arrived (no copy), and hands
 * each to the request it answers. One per backend channel.
 */
final class ReplyReader extends BackendDecoder {
    private static final Logger log = LoggerFactory.getLogger(ReplyReader.class);
    static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf("metacluster.closeReason");

    private final NodeConnection connection;
    private final BackendCodec codec;

    ReplyReader(NodeConnection connection, BackendCodec codec) {
        this.connection = connection;
        this.codec = codec;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        sayHello(ctx, connection.handshake(codec, ctx.alloc()), connection.connectTimeoutMs());
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.isReadable() && ctx.channel().isActive()) {
                if (handshakeReplies > 0) {
                    int length = codec.replyLength(in, null);
                    if (length < 0) {
                        return;
                    }
                    ByteBuf reply = in.readSlice(length);
                    if (codec.isError(reply, null)) {
                        close(ctx, "handshake refused: " + printable(reply));
                        return;
                    }
                    if (--handshakeReplies == 0) {
                        connection.becomeReady();
                    }
                    continue;
                }
                Command oldest = connection.oldest();
                if (oldest == null) {
                    close(ctx, "reply with no request in flight: " + printable(in));
                    return;
                }
                int length = codec.replyLength(in, oldest);
                if (length < 0) {
                    return;
                }
                boolean error = codec.isError(in, oldest);
                ByteBuf reply;
                if (connection.oldestWantsReply()) {
                    reply = in.readRetainedSlice(length);
                } else {
                    in.skipBytes(length);
                    reply = null;
                }
                connection.replied(reply, error);
            }
        } catch (ProtocolException e) {
            close(ctx, "unreadable reply: " + e.getMessage());
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

    private static String printable(ByteBuf buf) {
        int length = Math.min(buf.readableBytes(), 120);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            char c = (char) (buf.getByte(buf.readerIndex() + i) & 0xff);
            text.append(c >= 32 && c < 127 ? c : '.');
        }
        return text.toString();
    }
}
