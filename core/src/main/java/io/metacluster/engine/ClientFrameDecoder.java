package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Runs the protocol's {@link ClientCodec} over the client's bytes, emitting {@link Command}s and,
 * after a protocol error, one {@link DecodeFailure}; the rest of the stream is then dropped (its
 * framing is lost, and the session closes the connection). Public so that protocol tests drive
 * their codecs exactly as the engine does.
 */
public final class ClientFrameDecoder extends ByteToMessageDecoder {
    private final ClientCodec codec;
    private boolean failed;
    /** A client pause holds the last command decoded: the rest waits undecoded ({@link PauseHold}). */
    private boolean held;

    public ClientFrameDecoder(ClientCodec codec) {
        this.codec = codec;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (held) {
            return;
        }
        try {
            Command command = codec.decode(in);
            if (command != null) {
                out.add(command);
            }
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            out.add(new DecodeFailure(e.getMessage()));
        }
    }

    /** Decodes nothing more until {@link #resume}. */
    void hold() {
        held = true;
    }

    /** Decodes what was received meanwhile, as a read would; {@code ctx} is this decoder's own context. */
    void resume(ChannelHandlerContext ctx) {
        held = false;
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
            channelReadComplete(ctx);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }
}
