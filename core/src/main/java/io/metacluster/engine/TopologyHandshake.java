package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;

/**
 * A backend codec whose handshake ends with the topology's own requests
 * ({@link io.metacluster.spi.Topology#handshake}: Redis Cluster {@code READONLY}), so that they
 * follow AUTH and HELLO on every connection, heartbeats and probes included.
 */
final class TopologyHandshake implements BackendCodec {
    private final BackendCodec codec;
    private final List<byte[]> extra;

    private TopologyHandshake(BackendCodec codec, List<byte[]> extra) {
        this.codec = codec;
        this.extra = extra;
    }

    /** {@code codec} itself when the topology adds nothing. */
    static BackendCodec of(BackendCodec codec, List<byte[]> extra) {
        return extra.isEmpty() ? codec : new TopologyHandshake(codec, List.copyOf(extra));
    }

    @Override
    public List<ByteBuf> handshake(ByteBufAllocator alloc) {
        List<ByteBuf> requests = new ArrayList<>(codec.handshake(alloc));
        for (byte[] request : extra) {
            requests.add(Unpooled.wrappedBuffer(request));
        }
        return requests;
    }

    @Override
    public int replyLength(ByteBuf in, Command request) throws ProtocolException {
        return codec.replyLength(in, request);
    }

    @Override
    public boolean isError(Command request, ByteBuf reply) {
        return codec.isError(request, reply);
    }
}
