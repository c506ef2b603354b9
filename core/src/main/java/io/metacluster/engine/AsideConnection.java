package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A connection opened for one {@link io.metacluster.spi.CommandKind#ASIDE} command to one node:
 * the protocol's hello, whose replies are skipped unchecked (a node busy with a script refuses
 * SELECT and PING but takes SCRIPT KILL), then the command; its reply goes to the
 * {@link Listener} and the connection is closed. Lives on the client's event loop.
 */
final class AsideConnection extends ByteToMessageDecoder {

    /** Told once: the command's reply, or why there is none. */
    interface Listener {
        /** The node's reply (owned from now on), and whether the protocol reads it as an error. */
        void asideReply(ByteBuf reply, boolean error);

        void asideFailed(String reason);
    }

    private final Command command;
    private final Listener listener;
    private final BackendCodec codec;
    private final int timeoutMs;
    private int helloReplies;
    private boolean reported;

    AsideConnection(Command command, Listener listener, BackendCodec codec, int timeoutMs) {
        this.command = command;
        this.listener = listener;
        this.codec = codec;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        List<ByteBuf> hello = codec.handshake(ctx.alloc());
        helloReplies = hello.size();
        for (ByteBuf request : hello) {
            ctx.write(request, ctx.voidPromise());
        }
        ctx.writeAndFlush(command.frame().retainedDuplicate(), ctx.voidPromise());
        ctx.executor().schedule(() -> fail(ctx, "no reply within " + timeoutMs + " ms"), timeoutMs, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        while (in.isReadable() && !reported) {
            int length = codec.replyLength(in, helloReplies > 0 ? null : command);
            if (length < 0) {
                return;
            }
            if (helloReplies > 0) {
                helloReplies--;
                in.skipBytes(length);
            } else {
                reported = true;
                boolean error = codec.isError(command, in.slice(in.readerIndex(), length));
                listener.asideReply(in.readRetainedSlice(length), error);
                ctx.close();
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, "connection closed before the reply");
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    private void fail(ChannelHandlerContext ctx, String reason) {
        if (!reported) {
            reported = true;
            listener.asideFailed(reason);
        }
        ctx.close();
    }
}
