package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.util.List;

import static io.metacluster.memcached.BinaryPacket.*;
import static io.metacluster.memcached.TextLine.startsWith;

/**
 * Splits a memcached server's replies, by the shape its request expects ({@link ReplyShape}):
 * one line, {@code VALUE} blocks up to {@code END}, a meta line with an optional {@code VA} data
 * block, {@code STAT} lines, or a binary response (several for a Stat). Data blocks are skipped by their announced length, never scanned,
 * so a value holding {@code END\r\n} is just data. Any text request may be answered by an error
 * line instead; that is one line in every shape.
 *
 * <p>The handshake is one {@code version} (text or binary, by lane): it proves the server answers.
 * memcached has no database to select, and SASL to backends is not supported yet.
 *
 * <p>One instance per backend connection, confined to its event loop. It remembers how far it
 * got into a multi-key reply that is still arriving, so a long {@code get} reply is scanned once.
 * A connection speaks one protocol ({@link MemcachedProtocol#TEXT_LANE} or
 * {@link MemcachedProtocol#BINARY_LANE}); a request of the other one is an engine bug, refused.
 */
final class MemcachedBackendCodec implements BackendCodec {
    /** Longest reply line: VALUE lines carry a 250-byte key and a few numbers; meta lines a few flags more. */
    static final int MAX_LINE = 8 * 1024;
    private static final String LINE_TOO_LONG = "memcached reply line too long";

    private final TextLine line = new TextLine();
    private final boolean binary;
    private Command resumeFor;
    private int resumeOffset;

    MemcachedBackendCodec(boolean binary) {
        this.binary = binary;
    }

    /** A text-lane codec (enough for {@link #isError}, which keeps no state). */
    MemcachedBackendCodec() {
        this(false);
    }

    @Override
    public List<ByteBuf> handshake(ByteBufAllocator alloc) {
        if (binary) {
            ByteBuf version = alloc.buffer(HEADER_BYTES).writeByte(MAGIC_REQUEST).writeByte(BinaryOpcode.VERSION.code);
            return List.of(version.writeZero(HEADER_BYTES - 2));
        }
        return List.of(ByteBufUtil.writeAscii(alloc, "version\r\n"));
    }

    @Override
    public int replyLength(ByteBuf in, Command request) throws ProtocolException {
        ReplyShape shape = request != null && request.detail() instanceof Request r ? r.shape()
                : binary ? ReplyShape.BINARY : ReplyShape.LINE;
        if (shape.binary() != binary) {
            throw new ProtocolException("a " + (binary ? "text" : "binary") + " request on a "
                    + (binary ? "binary" : "text") + " backend connection");
        }
        return switch (shape) {
            case BINARY -> binaryLength(in);
            case LINE -> line.read(in, MAX_LINE, LINE_TOO_LONG) ? line.frameLength() : -1;
            case META -> metaLength(in);
            case VALUES -> valuesLength(in, request);
            case STATS -> statsLength(in, request);
            case BINARY_STATS -> binaryStatsLength(in);
        };
    }

    /** {@code STAT}, {@code ITEM} or {@code PREFIX} lines up to the first other one ({@code END}, or a one-line answer). */
    private int statsLength(ByteBuf in, Command request) throws ProtocolException {
        int from = in.readerIndex();
        long offset = request == resumeFor ? resumeOffset : 0;
        while (true) {
            if (!line.read(in, from + (int) offset, MAX_LINE, LINE_TOO_LONG)) {
                return waitAt(request, offset);
            }
            offset += line.frameLength();
            if (line.count() == 0 || !(line.is(0, "STAT") || line.is(0, "ITEM") || line.is(0, "PREFIX"))) {
                resumeFor = null;
                return (int) offset;
            }
        }
    }

    /** Binary Stat responses up to one with no key: the last, or an error. */
    private int binaryStatsLength(ByteBuf in) throws ProtocolException {
        int offset = 0;
        while (true) {
            ByteBuf rest = in.slice(in.readerIndex() + offset, in.readableBytes() - offset);
            int length = binaryLength(rest);
            if (length < 0) {
                return -1;
            }
            int keyLength = rest.getUnsignedShort(rest.readerIndex() + KEY_LENGTH);
            offset += length;
            if (keyLength == 0) {
                return offset;
            }
        }
    }

    private int binaryLength(ByteBuf in) throws ProtocolException {
        if (in.readableBytes() < HEADER_BYTES) {
            return -1;
        }
        if (in.getUnsignedByte(in.readerIndex()) != MAGIC_RESPONSE) {
            throw new ProtocolException("memcached sent a binary reply with a bad magic");
        }
        long total = HEADER_BYTES + in.getUnsignedInt(in.readerIndex() + BODY_LENGTH);
        if (total > Integer.MAX_VALUE) {
            throw new ProtocolException("memcached binary reply too large");
        }
        return in.readableBytes() >= total ? (int) total : -1;
    }

    /** {@code VA <size> <flag>*\r\n<data>\r\n}, or any other one line. */
    private int metaLength(ByteBuf in) throws ProtocolException {
        if (!line.read(in, MAX_LINE, LINE_TOO_LONG)) {
            return -1;
        }
        if (line.count() < 2 || !line.is(0, "VA")) {
            return line.frameLength();
        }
        long total = line.frameLength() + dataBlock(1);
        return in.readableBytes() >= total ? (int) total : -1;
    }

    /** {@code VALUE} blocks until a line that is not one: {@code END}, or an error. */
    private int valuesLength(ByteBuf in, Command request) throws ProtocolException {
        int from = in.readerIndex();
        long offset = request == resumeFor ? resumeOffset : 0;
        while (true) {
            if (!line.read(in, from + (int) offset, MAX_LINE, LINE_TOO_LONG)) {
                return waitAt(request, offset);
            }
            if (line.count() < 4 || !line.is(0, "VALUE")) {
                resumeFor = null;
                return (int) (offset + line.frameLength());
            }
            long next = offset + line.frameLength() + dataBlock(3);
            if (next > in.readableBytes()) {
                return waitAt(request, offset);
            }
            offset = next;
        }
    }

    private int waitAt(Command request, long offset) {
        resumeFor = request;
        resumeOffset = (int) offset;
        return -1;
    }

    /** The data block announced by token {@code sizeToken}: its bytes and CRLF. */
    private long dataBlock(int sizeToken) throws ProtocolException {
        long size = line.unsigned(sizeToken);
        if (size < 0 || size > Integer.MAX_VALUE - 2L * MAX_LINE) {
            throw new ProtocolException("memcached sent a bad value length");
        }
        return size + 2;
    }

    /**
     * Failures are what a write policy must not count as done: error lines, and binary statuses
     * other than success and the ordinary results "not found", "exists" and "not stored" (an
     * {@code add} that finds the key is an answer, not a broken cluster).
     */
    @Override
    public boolean isError(Command request, ByteBuf reply) {
        if (request == null ? binary : request.detail() instanceof Request r && r.binary()) {
            int status = BinaryPacket.status(reply);
            return status != STATUS_SUCCESS && status != STATUS_KEY_NOT_FOUND
                    && status != STATUS_KEY_EXISTS && status != STATUS_ITEM_NOT_STORED;
        }
        return startsWith(reply, "CLIENT_ERROR ") || startsWith(reply, "SERVER_ERROR ")
                || startsWith(reply, "ERROR\r") || startsWith(reply, "ERROR\n") || startsWith(reply, "ERROR ");
    }
}
