package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

import static io.metacluster.memcached.BinaryPacket.*;

/**
 * Decodes the binary protocol: a 24-byte header and the body length it announces.
 *
 * <p>Frames are retained slices of the input. A quiet opcode is forwarded as its loud twin: the
 * frame is then a copy of the header with the opcode changed, followed by a retained slice of
 * the body, and the opaque is kept so the client can match the reply.
 *
 * <p>As memcached 1.6.18 ({@code proto_bin.c}), checked against it: a request refused for its
 * opcode ("Unknown command") or its value size ("Too large.", value swallowed as it arrives; a Set
 * or SetQ also unlinks the old value, see {@link TooLarge}) gets a binary error response and the
 * connection goes on. One refused for its lengths ("Invalid arguments", or "Unknown command" when
 * its body is shorter than its key and extras) is answered and the connection closed; a bad magic
 * byte closes it without an answer. Those end the stream through a {@link ProtocolException},
 * whose reply {@link #failed()} describes.
 *
 * <p>Confined to the client connection's event loop.
 */
final class BinaryRequestDecoder extends RequestDecoder {
    static final String INVALID_MAGIC = "Invalid magic";
    static final String INVALID_ARGUMENTS = "Invalid arguments";
    static final String UNKNOWN_COMMAND = "Unknown command";
    static final String TOO_LARGE = "Too large.";

    /** The request whose header ended the stream, for its error reply; {@code null} for a bad magic (no reply). */
    private Request failed;

    BinaryRequestDecoder(ClientLimits limits) {
        super(limits);
    }

    /** What the {@link ProtocolException} that ended the stream answers, or {@code null} for nothing. */
    Request failed() {
        return failed;
    }

    @Override
    boolean binary() {
        return true;
    }

    @Override
    protected Command decodeFrame(ByteBuf in) throws ProtocolException {
        if (in.readableBytes() < HEADER_BYTES) {
            return null;
        }
        int from = in.readerIndex();
        if (in.getUnsignedByte(from) != MAGIC_REQUEST) {
            failed = null;
            throw new ProtocolException(INVALID_MAGIC);
        }
        int code = in.getUnsignedByte(from + OPCODE);
        int keyLength = in.getUnsignedShort(from + KEY_LENGTH);
        int extrasLength = in.getUnsignedByte(from + EXTRAS_LENGTH);
        long bodyLength = in.getUnsignedInt(from + BODY_LENGTH);
        int opaque = in.getInt(from + OPAQUE);
        long valueLength = bodyLength - keyLength - extrasLength;
        if (valueLength < 0) {
            throw fail(code, opaque, STATUS_UNKNOWN_COMMAND, UNKNOWN_COMMAND);
        }
        BinaryOpcode op = BinaryOpcode.of(code);
        String name = op == null ? "unknown" : op.commandName;
        if (valueLength > maxValueBytes() || bodyLength > Integer.MAX_VALUE - HEADER_BYTES) {
            if (op == null || !TooLarge.unlinksBinary(op) || !validLengths(op, extrasLength, keyLength, valueLength)) {
                return refuse(in, name, code, opaque, STATUS_VALUE_TOO_LARGE, TOO_LARGE, 0, bodyLength);
            }
            int head = HEADER_BYTES + extrasLength + keyLength;
            if (in.readableBytes() < head) {
                return null;
            }
            Command delete = TooLarge.binary(in.slice(from + HEADER_BYTES + extrasLength, keyLength), code, opaque, in.alloc());
            in.skipBytes(head);
            discardNext(valueLength);
            return delete;
        }
        int total = HEADER_BYTES + (int) bodyLength;
        if (in.readableBytes() < total) {
            return null;
        }
        if (op == null || op.kind == CommandKind.UNSUPPORTED) {
            return refuse(in, name, code, opaque, STATUS_UNKNOWN_COMMAND, UNKNOWN_COMMAND, total, 0);
        }
        if (!op.isSasl() && !validLengths(op, extrasLength, keyLength, valueLength)) {
            throw fail(code, opaque, STATUS_INVALID_ARGUMENTS, INVALID_ARGUMENTS);
        }
        ByteBuf frame;
        if (op.isQuiet()) {
            ByteBuf header = in.alloc().buffer(HEADER_BYTES).writeBytes(in, from, HEADER_BYTES);
            header.setByte(OPCODE, op.forwardCode);
            frame = bodyLength == 0 ? header
                    : in.alloc().compositeBuffer(2).addComponents(true, header, in.retainedSlice(from + HEADER_BYTES, (int) bodyLength));
        } else {
            frame = in.retainedSlice(from, total);
        }
        in.skipBytes(total);
        CommandKind kind = op.takesCas() && in.getLong(from + CAS) != 0 ? CommandKind.CONDITIONAL_WRITE : op.kind;
        Request request = Request.binary(code, opaque, op.quiet, STATUS_SUCCESS);
        if (keyLength == 0 || op.isSasl()) {
            return Command.of(frame, name, kind, null, request, MemcachedProtocol.BINARY_LANE);
        }
        return Command.of(frame, name, kind, HEADER_BYTES + extrasLength, keyLength, request, MemcachedProtocol.BINARY_LANE);
    }

    /** The lengths memcached checks before it answers "Invalid arguments". */
    private static boolean validLengths(BinaryOpcode op, int extrasLength, int keyLength, long valueLength) {
        return op.accepts(extrasLength, keyLength, valueLength) && keyLength <= TextRequestDecoder.MAX_KEY_LENGTH;
    }

    /** Ends the stream: {@code message} is answered with this status, opcode and opaque, then the connection closed. */
    private ProtocolException fail(int code, int opaque, int status, String message) {
        failed = Request.binary(code, opaque, Quiet.NONE, status);
        return new ProtocolException(message);
    }

    /**
     * Consumes {@code consume} bytes (the header, or the whole request), keeps the header as the
     * frame, and swallows {@code swallow} more bytes as they arrive.
     */
    private Command refuse(ByteBuf in, String name, int code, int opaque, int status, String reason, int consume, long swallow) {
        ByteBuf frame = in.retainedSlice(in.readerIndex(), HEADER_BYTES);
        in.skipBytes(Math.max(consume, HEADER_BYTES));
        discardNext(swallow);
        return Command.unsupported(frame, name, reason, Request.binary(code, opaque, Quiet.NONE, status));
    }
}
