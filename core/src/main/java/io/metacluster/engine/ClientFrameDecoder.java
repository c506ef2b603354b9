package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Runs the protocol's {@link ClientCodec} over the client's bytes. After a protocol error the
 * rest of the stream is dropped: its framing is lost and the session closes the connection.
 */
final class ClientFrameDecoder extends ByteToMessageDecoder {
    private final ClientCodec codec;
    private boolean failed;

    ClientFrameDecoder(ClientCodec codec) {
        this.codec = codec;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
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
}
