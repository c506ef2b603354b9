package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandSplitter;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.ServerReports;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.metacluster.spi.CommandKind;

import java.nio.charset.StandardCharsets;

/**
 * One client connection of a memcached listener. Its first byte picks the protocol for the life
 * of the connection, as memcached does: 0x80 (the binary request magic) means binary, anything
 * else text (classic and meta commands).
 *
 * <p>{@link #decode} may consume bytes and return {@code null}: that is how a refused oversized
 * value is swallowed without holding it (see {@link RequestDecoder}).
 *
 * <p>It is its own {@link CommandSplitter} (a text multi-get split over the nodes of a hash ring)
 * and its own {@link ConditionalWrites} (cas, propagated as an unconditional write).
 *
 * <p>Confined to the connection's event loop; never blocks.
 */
final class MemcachedClientCodec implements ClientCodec, CommandSplitter, ConditionalWrites {
    private final ClientLimits limits;
    private RequestDecoder decoder;

    MemcachedClientCodec(ClientLimits limits) {
        this.limits = limits;
    }

    @Override
    public Command decode(ByteBuf in) throws ProtocolException {
        if (decoder == null) {
            if (!in.isReadable()) {
                return null;
            }
            boolean binary = in.getUnsignedByte(in.readerIndex()) == BinaryPacket.MAGIC_REQUEST;
            decoder = binary ? new BinaryRequestDecoder(limits) : new TextRequestDecoder(limits);
        }
        return decoder.decode(in);
    }

    @Override
    public ByteBuf answer(Command command, ClientContext context) {
        ByteBuf reply = LocalReplies.answer(command, context);
        // SASL is answered here: the requests after a successful one may carry large values
        if (decoder != null && context.authenticated()) {
            decoder.authenticated();
        }
        return reply;
    }

    /** See {@link LocalReplies#authenticationRequired}. */
    @Override
    public ByteBuf authenticationRequired(ByteBufAllocator alloc, Command command) {
        if (command.detail() instanceof Request request) {
            return LocalReplies.authenticationRequired(alloc, request);
        }
        return ClientCodec.super.authenticationRequired(alloc, command);
    }

    /**
     * Text: a message that is already a memcached error line ({@code ERROR}, {@code CLIENT_ERROR
     * ...}, {@code SERVER_ERROR ...}, as the decoders' refusals are) is sent verbatim, any other as
     * {@code SERVER_ERROR <message>}; for a {@code noreply} request an empty buffer, since memcached
     * answers nothing at all. Binary: an error response with the request's opcode and opaque; for
     * the request whose header ended the stream, the one its decoder recorded, and nothing at all
     * after a bad magic byte, as memcached closes silently.
     */
    @Override
    public ByteBuf error(ByteBufAllocator alloc, Command command, String message) {
        Request request = command != null && command.detail() instanceof Request r ? r : null;
        if (command == null && decoder instanceof BinaryRequestDecoder binaryDecoder) {
            request = binaryDecoder.failed();
            if (request == null && BinaryRequestDecoder.INVALID_MAGIC.equals(message)) {
                return null;
            }
        }
        boolean binary = request != null ? request.binary() : decoder != null && decoder.binary();
        return LocalReplies.error(alloc, request, binary, message);
    }

    /**
     * Hides what the client's quiet request would not have been answered with ({@link Quiet}).
     * A shown reply to a binary quiet request gets, in place, the quiet opcode the client sent
     * back in its header (the backend answered the loud twin the proxy forwarded): clients check it.
     * This one-byte write into the reply is the only change the proxy makes to a backend's bytes.
     */
    @Override
    public ByteBuf present(Command command, ByteBuf reply) {
        if (!(command.detail() instanceof Request request)) {
            return reply;
        }
        if (request.tooLarge()) {
            return TooLarge.reply(request, reply);
        }
        if (request.quiet().hides(reply)) {
            reply.release();
            return null;
        }
        int opcodeAt = reply.readerIndex() + BinaryPacket.OPCODE;
        if (request.binary() && reply.readableBytes() >= BinaryPacket.HEADER_BYTES
                && reply.getUnsignedByte(opcodeAt) != request.opcode() && !reply.isReadOnly()) {
            reply.setByte(opcodeAt, request.opcode());
        }
        return reply;
    }

    @Override
    public CommandSplitter splitter() {
        return this;
    }

    @Override
    public ConditionalWrites conditionalWrites() {
        return this;
    }

    @Override
    public ServerReports reports() {
        return StatsReports.INSTANCE;
    }

    /**
     * A text {@code get}/{@code gets} for some of its keys (a multi-get over a sharded cluster);
     * other commands are not split.
     */
    @Override
    public Command part(Command command, int[] keys, int count) {
        if (!(command.detail() instanceof Request request) || request.shape() != ReplyShape.VALUES
                || !(command.name().equals("get") || command.name().equals("gets"))) {
            return null;
        }
        ByteBuf whole = command.frame();
        int length = command.name().length() + 2;
        for (int i = 0; i < count; i++) {
            length += 1 + command.keyLength(keys[i]);
        }
        ByteBuf frame = whole.alloc().buffer(length);
        frame.writeCharSequence(command.name(), StandardCharsets.US_ASCII);
        int[] ranges = new int[2 * count];
        for (int i = 0; i < count; i++) {
            frame.writeByte(' ');
            ranges[2 * i] = frame.writerIndex();
            ranges[2 * i + 1] = command.keyLength(keys[i]);
            frame.writeBytes(whole, whole.readerIndex() + command.keyOffset(keys[i]), command.keyLength(keys[i]));
        }
        frame.writeByte('\r').writeByte('\n');
        return Command.of(frame, command.name(), CommandKind.READ, ranges, request, MemcachedProtocol.TEXT_LANE);
    }

    private static final byte[] END = "END\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The parts' VALUE blocks, each part's END dropped, then one END. */
    @Override
    public ByteBuf join(Command command, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc) {
        CompositeByteBuf joined = alloc.compositeBuffer(replies.length + 1);
        for (ByteBuf reply : replies) {
            joined.addComponent(true, reply.readSlice(reply.readableBytes() - END.length));
        }
        joined.addComponent(true, Unpooled.wrappedBuffer(END));
        return joined;
    }

    /** See {@link Propagations}. */
    @Override
    public Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        return command.detail() instanceof Request ? Propagations.of(command, reply, alloc) : null;
    }
}
