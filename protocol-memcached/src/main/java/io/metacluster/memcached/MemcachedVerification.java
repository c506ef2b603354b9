package io.metacluster.memcached;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.ReplyVerification;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Read verification for memcached. What is compared is what the application stored: the value
 * and the client flags of every item, never the cas unique (each server numbers its own), the
 * remaining TTL, or access statistics.
 *
 * <ul>
 *   <li>text {@code get gets gat gats}: the {@code VALUE} blocks' keys, flags and data, in order;</li>
 *   <li>meta {@code mg}: the status, the data and the returned flags except {@code c} (cas),
 *       {@code t} (TTL), {@code h}, {@code l} (access) and {@code W X Z} (recache state); an
 *       {@code mg} that changes state ({@code N} vivify, {@code E} explicit cas, {@code R} recache) or
 *       names its key in base64 ({@code b}) is not verified;</li>
 *   <li>binary Get, GetK, GAT, GATK: status, extras (flags), key and value; not cas or opaque;</li>
 *   <li>never: {@code me} (debug output), and binary reads whose key the text protocol cannot carry
 *       (repairs are meta commands).</li>
 * </ul>
 *
 * <p>Repairs are meta commands on the text lane: {@code md <key>}; capture {@code mg <key> v f t c};
 * restore {@code ms <key> <size> F<flags> T<ttl>} with the remaining TTL. Conditional repairs
 * carry the target's cas unique ({@code ms ... C<cas>}, {@code md <key> C<cas>}), or are an add
 * ({@code ms ... ME}) where the target held nothing. The scrub compares {@code mg <key> v f}.
 *
 * <p>Immutable and shared by every thread; never blocks. See {@link ReplyVerification} for buffer
 * ownership.
 */
public final class MemcachedVerification implements ReplyVerification {
    static final MemcachedVerification INSTANCE = new MemcachedVerification();

    private static final Set<String> VALUE_READS = Set.of("get", "gets", "gat", "gats");
    private static final Set<String> BINARY_READS = Set.of("get", "getq", "getk", "getkq", "gat", "gatq", "gatk", "gatkq");
    /** Returned mg flags that differ between servers holding the same item. */
    private static final String VOLATILE_META_FLAGS = "cthlWXZ";
    /**
     * mg request flags that keep a read from being verified: {@code N E R} change state, so
     * repeating the read elsewhere is not harmless; with {@code b} the key is base64 text.
     */
    private static final String UNVERIFIED_META_FLAGS = "NERb";
    private static final String BAD_REPLY = "unreadable memcached reply";
    /** isError is the backend codec's rule; it keeps no state for it. */
    private static final MemcachedBackendCodec ERRORS = new MemcachedBackendCodec(false);

    private MemcachedVerification() {
    }

    @Override
    public boolean verifiable(Command read) {
        if (read.kind() != CommandKind.READ || read.keyCount() == 0 || !(read.detail() instanceof Request request)) {
            return false;
        }
        return switch (request.shape()) {
            case VALUES -> VALUE_READS.contains(read.name());
            case META -> read.name().equals("mg") && !hasUnverifiedFlag(read.frame());
            case BINARY -> BINARY_READS.contains(read.name()) && textKey(read.key(0));
            case LINE, STATS, BINARY_STATS -> false;
        };
    }

    private static boolean hasUnverifiedFlag(ByteBuf frame) {
        TextLine line = new TextLine(true);
        try {
            if (!line.read(frame, MemcachedBackendCodec.MAX_LINE, BAD_REPLY)) {
                return true;
            }
        } catch (ProtocolException e) {
            return true;
        }
        for (int i = 2; i < line.count(); i++) {
            if (line.length(i) > 0 && UNVERIFIED_META_FLAGS.indexOf(line.byteAt(line.start(i))) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether the text protocol can carry {@code key} as is (so that a repair routes like the read). */
    static boolean textKey(ByteBuf key) {
        if (key.readableBytes() == 0 || key.readableBytes() > TextRequestDecoder.MAX_KEY_LENGTH) {
            return false;
        }
        for (int i = key.readerIndex(); i < key.writerIndex(); i++) {
            byte b = key.getByte(i);
            if (b <= ' ' || b == 127) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Verdict compareDifferent(Command read, ByteBuf a, ByteBuf b) {
        try {
            List<ByteBuf> left = essentials(read, a);
            List<ByteBuf> right = essentials(read, b);
            if (left.size() != right.size()) {
                return Verdict.DIFFERENT;
            }
            for (int i = 0; i < left.size(); i++) {
                if (!ByteBufUtil.equals(left.get(i), right.get(i))) {
                    return Verdict.DIFFERENT;
                }
            }
            return Verdict.SAME;
        } catch (ProtocolException | IndexOutOfBoundsException e) {
            return Verdict.INCOMPARABLE;
        }
    }

    /** The parts of a reply that two servers holding the same items agree on, as slices, in order. */
    static List<ByteBuf> essentials(Command read, ByteBuf reply) throws ProtocolException {
        Request request = (Request) read.detail();
        List<ByteBuf> parts = new ArrayList<>();
        switch (request.shape()) {
            case VALUES -> values(reply, parts);
            case META -> meta(reply, parts);
            case BINARY -> binary(reply, parts);
            default -> parts.add(reply);
        }
        return parts;
    }

    /** {@code VALUE <key> <flags> <bytes> [<cas>]} blocks, then {@code END}: key, flags and data of each. */
    private static void values(ByteBuf reply, List<ByteBuf> parts) throws ProtocolException {
        TextLine line = new TextLine();
        int pos = reply.readerIndex();
        while (true) {
            if (!line.read(reply, pos, MemcachedBackendCodec.MAX_LINE, BAD_REPLY)) {
                throw new ProtocolException(BAD_REPLY);
            }
            if (line.is(0, "END")) {
                return;
            }
            long size = line.count() >= 4 && line.is(0, "VALUE") ? line.unsigned(3) : -1;
            if (size < 0 || pos + line.frameLength() + size + 2 > reply.writerIndex()) {
                throw new ProtocolException(BAD_REPLY);
            }
            parts.add(token(reply, pos, line, 1));
            parts.add(token(reply, pos, line, 2));
            parts.add(reply.slice(pos + line.frameLength(), (int) size));
            pos += line.frameLength() + (int) size + 2;
        }
    }

    /** {@code VA <size> <flags>*} and data, or {@code HD|EN|NF... <flags>*}: status, stable flags, data. */
    private static void meta(ByteBuf reply, List<ByteBuf> parts) throws ProtocolException {
        TextLine line = new TextLine();
        int pos = reply.readerIndex();
        if (!line.read(reply, pos, MemcachedBackendCodec.MAX_LINE, BAD_REPLY) || line.count() == 0) {
            throw new ProtocolException(BAD_REPLY);
        }
        parts.add(token(reply, pos, line, 0));
        int firstFlag = 1;
        if (line.is(0, "VA")) {
            long size = line.count() >= 2 ? line.unsigned(1) : -1;
            if (size < 0 || pos + line.frameLength() + size > reply.writerIndex()) {
                throw new ProtocolException(BAD_REPLY);
            }
            parts.add(reply.slice(pos + line.frameLength(), (int) size));
            firstFlag = 2;
        }
        for (int i = firstFlag; i < line.count(); i++) {
            if (line.length(i) > 0 && VOLATILE_META_FLAGS.indexOf(line.byteAt(line.start(i))) < 0) {
                parts.add(token(reply, pos, line, i));
            }
        }
    }

    /** Header without opcode (a quiet one may be restored in place), opaque and cas; then the body. */
    private static void binary(ByteBuf reply, List<ByteBuf> parts) throws ProtocolException {
        int at = reply.readerIndex();
        if (reply.readableBytes() < BinaryPacket.HEADER_BYTES) {
            throw new ProtocolException(BAD_REPLY);
        }
        parts.add(reply.slice(at + BinaryPacket.KEY_LENGTH, BinaryPacket.OPAQUE - BinaryPacket.KEY_LENGTH));
        parts.add(reply.slice(at + BinaryPacket.HEADER_BYTES, reply.readableBytes() - BinaryPacket.HEADER_BYTES));
    }

    private static ByteBuf token(ByteBuf buf, int lineStart, TextLine line, int i) {
        return buf.slice(lineStart + line.start(i), line.length(i));
    }

    @Override
    public boolean isError(Command request, ByteBuf reply) {
        return ERRORS.isError(request, reply);
    }

    @Override
    public Command delete(ByteBuf key, ByteBufAllocator alloc) {
        return meta(alloc, "md", key, "", null);
    }

    @Override
    public List<Command> capture(ByteBuf key, ByteBufAllocator alloc) {
        return List.of(meta(alloc, "mg", key, " v f t c", null));
    }

    @Override
    public Command restore(ByteBuf key, List<ByteBuf> captured, ByteBufAllocator alloc) {
        Captured state = captured.size() == 1 ? Captured.of(captured.get(0)) : null;
        if (state == null) {
            return null;
        }
        return state.absent() ? delete(key, alloc) : state.set(alloc, key, "");
    }

    @Override
    public Command restoreIf(ByteBuf key, List<ByteBuf> sourceCaptured, List<ByteBuf> targetCaptured, ByteBufAllocator alloc) {
        Captured source = sourceCaptured.size() == 1 ? Captured.of(sourceCaptured.get(0)) : null;
        Captured target = targetCaptured.size() == 1 ? Captured.of(targetCaptured.get(0)) : null;
        if (source == null || target == null || source.absent() && target.absent()) {
            return null;
        }
        if (source.absent()) {
            return deleteIf(key, targetCaptured, alloc);
        }
        // where the target held nothing, an add: it fails (NS) if anything arrived since
        return source.set(alloc, key, target.absent() ? " ME" : " C" + target.cas);
    }

    @Override
    public Command deleteIf(ByteBuf key, List<ByteBuf> targetCaptured, ByteBufAllocator alloc) {
        Captured target = targetCaptured.size() == 1 ? Captured.of(targetCaptured.get(0)) : null;
        if (target == null || target.absent() || target.cas == null) {
            return null;
        }
        return meta(alloc, "md", key, " C" + target.cas, null);
    }

    /** {@code HD} applied; {@code EX} (cas changed), {@code NS} (add found a value), {@code NF} (gone) declined. */
    @Override
    public RepairOutcome repairOutcome(Command repair, ByteBuf reply) {
        if (isError(repair, reply) || reply.readableBytes() < 2) {
            return RepairOutcome.FAILED;
        }
        String status = reply.toString(reply.readerIndex(), 2, StandardCharsets.US_ASCII);
        return switch (status) {
            case "HD" -> RepairOutcome.APPLIED;
            case "EX", "NS", "NF" -> RepairOutcome.DECLINED;
            default -> RepairOutcome.FAILED;
        };
    }

    @Override
    public Command scrubRead(ByteBuf key, ByteBuf probeReply, ByteBufAllocator alloc) {
        return textKey(key) ? meta(alloc, "mg", key, " v f", null) : null;
    }

    /** The scrub's read itself: {@code mg <key> v f} replies carry nothing that differs between equal items. */
    @Override
    public Command scrubFingerprint(ByteBuf key, ByteBufAllocator alloc) {
        return scrubRead(key, null, alloc);
    }

    @Override
    public boolean scrubAbsent(ByteBuf reply) {
        return reply.readableBytes() >= 2 && reply.getByte(reply.readerIndex()) == 'E' && reply.getByte(reply.readerIndex() + 1) == 'N';
    }

    /**
     * An {@code mg <key> v f t c} reply: absent ({@code EN}), or the value's flags, remaining TTL
     * ({@code -1} none), cas unique and data (a slice of the reply).
     */
    private record Captured(boolean absent, String flags, String ttl, String cas, ByteBuf data) {
        static Captured of(ByteBuf reply) {
            TextLine line = new TextLine();
            int pos = reply.readerIndex();
            try {
                if (!line.read(reply, pos, MemcachedBackendCodec.MAX_LINE, BAD_REPLY) || line.count() == 0) {
                    return null;
                }
            } catch (ProtocolException e) {
                return null;
            }
            if (line.is(0, "EN")) {
                return new Captured(true, null, null, null, null);
            }
            if (!line.is(0, "VA") || line.count() < 2) {
                return null;
            }
            long size = line.unsigned(1);
            String flags = null;
            String ttl = null;
            String cas = null;
            for (int i = 2; i < line.count(); i++) {
                String token = line.text(i);
                switch (token.charAt(0)) {
                    case 'f' -> flags = token.substring(1);
                    case 't' -> ttl = token.substring(1);
                    case 'c' -> cas = token.substring(1);
                    default -> { }
                }
            }
            if (size < 0 || flags == null || ttl == null || pos + line.frameLength() + size + 2 > reply.writerIndex()) {
                return null;
            }
            return new Captured(false, flags, ttl, cas, reply.slice(pos + line.frameLength(), (int) size));
        }

        /** The {@code ms} that writes this state, with {@code condition} ({@code ""}, {@code " C<cas>"}, {@code " ME"}). */
        Command set(ByteBufAllocator alloc, ByteBuf key, String condition) {
            if (ttl.equals("0")) {
                // expires within the second: copying would make it immortal (T0 means no expiry)
                return condition.isEmpty() ? meta(alloc, "md", key, "", null) : null;
            }
            String expiry = ttl.equals("-1") ? "0" : ttl;
            return meta(alloc, "ms", key, " " + data.readableBytes() + " F" + flags + " T" + expiry + condition, data);
        }
    }

    /** {@code <name> <key><rest>\r\n} and an optional data block, as a meta request on the text lane. */
    private static Command meta(ByteBufAllocator alloc, String name, ByteBuf key, String rest, ByteBuf data) {
        ByteBuf frame = alloc.buffer(name.length() + key.readableBytes() + rest.length() + 4
                + (data == null ? 0 : data.readableBytes() + 2));
        frame.writeCharSequence(name + " ", StandardCharsets.US_ASCII);
        int keyOffset = frame.writerIndex();
        frame.writeBytes(key, key.readerIndex(), key.readableBytes());
        frame.writeCharSequence(rest + "\r\n", StandardCharsets.US_ASCII);
        if (data != null) {
            frame.writeBytes(data, data.readerIndex(), data.readableBytes()).writeShort(0x0d0a);
        }
        CommandKind kind = name.equals("mg") ? CommandKind.READ : CommandKind.WRITE;
        return Command.of(frame, name, kind, new int[] {keyOffset, key.readableBytes()}, Request.META,
                MemcachedProtocol.TEXT_LANE);
    }
}
