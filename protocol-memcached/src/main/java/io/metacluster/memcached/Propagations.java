package io.metacluster.memcached;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

import static io.metacluster.memcached.BinaryPacket.*;

/**
 * {@link io.metacluster.spi.ConditionalWrites#propagation}: the unconditional write that repeats an
 * applied conditional one on the other clusters (see {@link MemcachedProtocol}, cas). The new
 * frame is a small new header followed by a retained slice of the request's value, never a copy
 * of the value. Stateless.
 */
final class Propagations {
    /** Meta flags kept, by command: those that say what to change, not how to answer or on what condition. */
    private static final String MS_KEPT = "bFTIN";
    private static final String MD_KEPT = "bITx";
    private static final String MA_KEPT = "bNJDTM";

    private Propagations() {
    }

    /** The write for the other clusters, or {@code null} when {@code reply} says nothing was applied. */
    static Command of(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        Request request = (Request) command.detail();
        if (request.binary()) {
            return status(reply) == STATUS_SUCCESS ? binary(command, alloc) : null;
        }
        if (command.name().equals("cas")) {
            return TextLine.startsWith(reply, "STORED\r\n") ? casAsSet(command, alloc) : null;
        }
        return Quiet.startsWithCode(reply, 'H', 'D') || Quiet.startsWithCode(reply, 'V', 'A') ? meta(command, alloc) : null;
    }

    /** Same header with cas 0 and the opcode of {@link BinaryOpcode#propagationCode}; same body. */
    private static Command binary(Command command, ByteBufAllocator alloc) {
        ByteBuf frame = command.frame();
        int from = frame.readerIndex();
        BinaryOpcode op = BinaryOpcode.of(BinaryOpcode.of(frame.getUnsignedByte(from + OPCODE)).propagationCode());
        ByteBuf header = alloc.buffer(HEADER_BYTES).writeBytes(frame, from, HEADER_BYTES);
        header.setByte(OPCODE, op.code).setLong(CAS, 0);
        int body = frame.readableBytes() - HEADER_BYTES;
        int[] key = {HEADER_BYTES + frame.getUnsignedByte(from + EXTRAS_LENGTH), frame.getUnsignedShort(from + KEY_LENGTH)};
        Request request = Request.binary(op.code, frame.getInt(from + OPAQUE), Quiet.NONE, STATUS_SUCCESS);
        return Command.of(withBody(alloc, header, frame, HEADER_BYTES, body), op.commandName, CommandKind.WRITE, key,
                request, MemcachedProtocol.BINARY_LANE);
    }

    /** {@code cas <key> <flags> <exptime> <bytes> <unique>} becomes {@code set <key> <flags> <exptime> <bytes>}. */
    private static Command casAsSet(Command command, ByteBufAllocator alloc) {
        TextLine line = firstLine(command.frame());
        ByteBuf header = alloc.buffer(line.contentLength() + 2);
        header.writeCharSequence("set", StandardCharsets.US_ASCII);
        for (int t = 1; t <= 4; t++) {
            appendToken(header, command.frame(), line, t);
        }
        return text(command, "set", Request.LINE, line, header.writeByte('\r').writeByte('\n'), line.unsigned(4), alloc);
    }

    /** The meta command with only the flags that say what to change ({@code C}, {@code q}, return flags dropped). */
    private static Command meta(Command command, ByteBufAllocator alloc) {
        String name = command.name();
        TextLine line = firstLine(command.frame());
        boolean withData = name.equals("ms");
        String kept = switch (name) {
            case "ms" -> MS_KEPT;
            case "md" -> MD_KEPT;
            default -> MA_KEPT;
        };
        ByteBuf frame = command.frame();
        ByteBuf header = alloc.buffer(line.contentLength() + 2);
        header.writeCharSequence(name, StandardCharsets.US_ASCII);
        int firstFlag = withData ? 3 : 2;
        for (int t = 1; t < line.count(); t++) {
            if (t < firstFlag || keeps(kept, name, line, t)) {
                appendToken(header, frame, line, t);
            }
        }
        header.writeByte('\r').writeByte('\n');
        return text(command, name, Request.META, line, header, withData ? line.unsigned(2) : -1, alloc);
    }

    /** ms modes other than append and prepend (set, add, replace) all become a plain set: the item as the serving cluster now has it. */
    private static boolean keeps(String kept, String name, TextLine line, int t) {
        char flag = (char) line.byteAt(line.start(t));
        if (flag == 'M' && name.equals("ms")) {
            char mode = line.length(t) > 1 ? Character.toUpperCase((char) line.byteAt(line.start(t) + 1)) : 'S';
            return mode == 'A' || mode == 'P';
        }
        return kept.indexOf(flag) >= 0;
    }

    private static Command text(Command command, String name, Request request, TextLine line, ByteBuf header,
                                long dataBytes, ByteBufAllocator alloc) {
        int[] key = {name.length() + 1, line.length(1)};
        ByteBuf frame = dataBytes < 0 ? header
                : withBody(alloc, header, command.frame(), line.frameLength(), (int) dataBytes + 2);
        return Command.of(frame, name, CommandKind.WRITE, key, request, MemcachedProtocol.TEXT_LANE);
    }

    private static ByteBuf withBody(ByteBufAllocator alloc, ByteBuf header, ByteBuf frame, int offset, int length) {
        if (length == 0) {
            return header;
        }
        return alloc.compositeBuffer(2).addComponents(true, header, frame.retainedSlice(frame.readerIndex() + offset, length));
    }

    private static TextLine firstLine(ByteBuf frame) {
        TextLine line = new TextLine(true);
        try {
            if (!line.read(frame, Integer.MAX_VALUE - 2, "line too long")) {
                throw new IllegalStateException("a decoded request without its line");
            }
        } catch (ProtocolException e) {
            throw new IllegalStateException(e);
        }
        return line;
    }

    private static void appendToken(ByteBuf out, ByteBuf frame, TextLine line, int t) {
        out.writeByte(' ').writeBytes(frame, frame.readerIndex() + line.start(t), line.length(t));
    }
}
