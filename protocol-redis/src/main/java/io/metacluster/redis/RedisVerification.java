package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.ReplyVerification;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Read verification for Redis. How a read's replies compare is data: the command table's
 * {@code verify} column ({@code exact}, {@code unordered}, {@code never}, derived from Redis's
 * {@code nondeterministic_output} and {@code nondeterministic_output_order} tips), corrected by
 * {@code verify-overrides.tsv} (e.g. {@code pairs} for {@code HGETALL}). Repairs are
 * {@code DEL}, and {@code DUMP} + {@code PTTL} then {@code RESTORE key ttl payload REPLACE},
 * which keeps the type, the encoding-independent value and the remaining time to live.
 * Conditional repairs are one Lua script ({@link #COMPARE_AND_SET}) comparing the target's
 * {@code DUMP} with the one captured. The scrub compares DUMPs first, then, where they differ,
 * reads a key's whole value by its {@code TYPE}.
 *
 * <p>Replies are RESP2 or RESP3, as the read's lane speaks ({@link Session}); a read and its
 * re-reads travel on the same lane, so they compare in the same version (RESP3 maps and sets
 * compare as their RESP2 arrays do). Repairs go on lane 0, the configured database: a read in a
 * database the client SELECTed is not verified, as its repair would land in another database.
 *
 * <p>Immutable and shared by every thread; never blocks. See {@link ReplyVerification} for
 * buffer ownership.
 */
public final class RedisVerification implements ReplyVerification {
    private static final String OVERRIDES = "verify-overrides.tsv";

    /** How two replies to one command compare. */
    enum Mode { EXACT, UNORDERED, PAIRS, NEVER }

    private static final CommandInfo DEL = CommandTable.standard().get("del");
    private static final CommandInfo DUMP = CommandTable.standard().get("dump");
    private static final CommandInfo PTTL = CommandTable.standard().get("pttl");
    private static final CommandInfo RESTORE = CommandTable.standard().get("restore");
    private static final CommandInfo EVAL = CommandTable.standard().get("eval");
    private static final CommandInfo TYPE = CommandTable.standard().get("type");
    /**
     * The conditional repair: applied only if the key's DUMP (its whole state, '' when absent)
     * still has the SHA-1 that was captured; a hash of it, not the payload, so the expected state
     * does not travel. Returns 1 when applied, 0 when the key changed.
     */
    private static final String COMPARE_AND_SET = "local d = redis.call('DUMP', KEYS[1]) or ''\n"
            + "if redis.sha1hex(d) ~= ARGV[1] then return 0 end\n"
            + "if ARGV[2] == 'del' then redis.call('DEL', KEYS[1])\n"
            + "else redis.call('RESTORE', KEYS[1], ARGV[2], ARGV[3], 'REPLACE') end\n"
            + "return 1";

    private final Map<String, Mode> overrides;

    RedisVerification(Map<String, Mode> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    /** With the overrides shipped in the plugin. */
    public static RedisVerification standard() {
        return Holder.STANDARD;
    }

    private static final class Holder {
        static final RedisVerification STANDARD = new RedisVerification(loadOverrides());
    }

    /** How replies to {@code info} compare: the override, else the table's column; reads without keys never. */
    Mode mode(CommandInfo info, int keyCount) {
        if (keyCount == 0 || info.kind() != CommandKind.READ) {
            return Mode.NEVER;
        }
        Mode override = overrides.get(info.name());
        return override != null ? override : switch (info.verify()) {
            case "exact" -> Mode.EXACT;
            case "unordered" -> Mode.UNORDERED;
            default -> Mode.NEVER;
        };
    }

    private Mode mode(Command read) {
        return read.detail() instanceof CommandInfo info && Session.databaseOf(read.lane()) == 0
                ? mode(info, read.keyCount()) : Mode.NEVER;
    }

    @Override
    public boolean verifiable(Command read) {
        return mode(read) != Mode.NEVER;
    }

    /** {@code WRONGTYPE}: the key holds another type on that cluster, which is a divergence like another value. */
    @Override
    public boolean errorDescribesData(Command read, ByteBuf reply) {
        return startsWith(reply, WRONGTYPE);
    }

    private static final byte[] WRONGTYPE = "-WRONGTYPE ".getBytes(StandardCharsets.US_ASCII);

    private static boolean startsWith(ByteBuf reply, byte[] prefix) {
        if (reply.readableBytes() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (reply.getByte(reply.readerIndex() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Verdict compareDifferent(Command read, ByteBuf a, ByteBuf b) {
        Mode mode = mode(read);
        if (mode == Mode.EXACT) {
            return Verdict.DIFFERENT;
        }
        try {
            List<ByteBuf> left = elements(a, mode == Mode.PAIRS ? 2 : 1);
            List<ByteBuf> right = elements(b, mode == Mode.PAIRS ? 2 : 1);
            if (left == null || right == null) {
                // not both arrays (e.g. a null array against an empty one): the bytes decided
                return Verdict.DIFFERENT;
            }
            if (left.size() != right.size()) {
                return Verdict.DIFFERENT;
            }
            left.sort(ByteBuf::compareTo);
            right.sort(ByteBuf::compareTo);
            for (int i = 0; i < left.size(); i++) {
                if (!left.get(i).equals(right.get(i))) {
                    return Verdict.DIFFERENT;
                }
            }
            return Verdict.SAME;
        } catch (ProtocolException e) {
            return Verdict.INCOMPARABLE;
        }
    }

    /**
     * The elements of an array reply (RESP3: also a set, or a map, whose pairs are two elements)
     * as slices (whole RESP frames, so nested arrays compare as wholes), {@code group}
     * consecutive elements per slice; {@code null} for a reply that is none of these.
     */
    private static List<ByteBuf> elements(ByteBuf reply, int group) throws ProtocolException {
        int start = reply.readerIndex();
        byte type = reply.isReadable() ? reply.getByte(start) : 0;
        if (type != '*' && type != '~' && type != '%') {
            return null;
        }
        int cr = reply.indexOf(start, reply.writerIndex(), (byte) '\r');
        if (cr < 0) {
            throw new ProtocolException("incomplete array header");
        }
        long count = RespSplitter.parseDecimal(reply, start + 1, cr);
        if (count == Long.MIN_VALUE) {
            throw new ProtocolException("bad array length");
        }
        if (count < 0) {
            return null;
        }
        if (type == '%') {
            count *= 2;
        }
        if (count % group != 0) {
            throw new ProtocolException("odd number of elements for pairs");
        }
        List<ByteBuf> out = new ArrayList<>((int) (count / group));
        int pos = cr + 2;
        for (long i = 0; i < count; i += group) {
            int from = pos;
            for (int g = 0; g < group; g++) {
                int length = RespSplitter.lengthOf(reply, pos);
                if (length < 0) {
                    throw new ProtocolException("incomplete element");
                }
                pos += length;
            }
            out.add(reply.slice(from, pos - from));
        }
        return out;
    }

    /** See {@link Replies#isError}, the backend codec's rule too. */
    @Override
    public boolean isError(Command request, ByteBuf reply) {
        return Replies.isError(request, reply);
    }

    @Override
    public Command delete(ByteBuf key, ByteBufAllocator alloc) {
        return command(alloc, DEL, "DEL", key);
    }

    @Override
    public List<Command> capture(ByteBuf key, ByteBufAllocator alloc) {
        return List.of(command(alloc, DUMP, "DUMP", key), command(alloc, PTTL, "PTTL", key));
    }

    @Override
    public Command restore(ByteBuf key, List<ByteBuf> captured, ByteBufAllocator alloc) {
        Captured state = Captured.of(captured);
        if (state == null) {
            return null;
        }
        if (state.payload() == null) {
            // absent on the source (or expired between DUMP and PTTL): absent everywhere
            return delete(key, alloc);
        }
        // -1 (no expiry) restores as 0, which RESTORE reads as "no expiry"
        return command(alloc, RESTORE, "RESTORE", key, ascii(Long.toString(state.ttl())), state.payload(), ascii("REPLACE"));
    }

    @Override
    public Command restoreIf(ByteBuf key, List<ByteBuf> sourceCaptured, List<ByteBuf> targetCaptured, ByteBufAllocator alloc) {
        Captured source = Captured.of(sourceCaptured);
        Captured target = Captured.of(targetCaptured);
        if (source == null || target == null || source.payload() == null && target.payload() == null) {
            return null;
        }
        if (source.payload() == null) {
            return compareAndSet(alloc, key, target, ascii("del"), Unpooled.EMPTY_BUFFER);
        }
        return compareAndSet(alloc, key, target, ascii(Long.toString(source.ttl())), source.payload());
    }

    @Override
    public Command deleteIf(ByteBuf key, List<ByteBuf> targetCaptured, ByteBufAllocator alloc) {
        Captured target = Captured.of(targetCaptured);
        if (target == null || target.payload() == null) {
            return null;
        }
        return compareAndSet(alloc, key, target, ascii("del"), Unpooled.EMPTY_BUFFER);
    }

    private static Command compareAndSet(ByteBufAllocator alloc, ByteBuf key, Captured expected, ByteBuf ttl, ByteBuf payload) {
        int[] keyOffset = new int[1];
        ByteBuf frame = compareAndSetFrame(alloc, key, expected.sha1(), ttl, payload, keyOffset);
        return Command.of(frame, EVAL.displayName(), CommandKind.WRITE, new int[] {keyOffset[0], key.readableBytes()}, EVAL);
    }

    /** The request that deletes {@code key} if its DUMP payload is still {@code dump} (as the resync's pruning sends it). */
    static ByteBuf deleteIfUnchangedFrame(ByteBuf key, ByteBuf dump) {
        return compareAndSetFrame(UnpooledByteBufAllocator.DEFAULT, key, sha1(dump), ascii("del"), Unpooled.EMPTY_BUFFER, new int[1]);
    }

    private static ByteBuf compareAndSetFrame(ByteBufAllocator alloc, ByteBuf key, String sha1, ByteBuf ttl, ByteBuf payload,
                                              int[] keyOffset) {
        ByteBuf frame = alloc.buffer(COMPARE_AND_SET.length() + key.readableBytes() + payload.readableBytes() + 128);
        RespWriter.arrayHeader(frame, 7);
        RespWriter.bulk(frame, "EVAL");
        RespWriter.bulk(frame, COMPARE_AND_SET);
        RespWriter.bulk(frame, "1");
        keyOffset[0] = RespWriter.bulk(frame, key);
        RespWriter.bulk(frame, sha1);
        RespWriter.bulk(frame, ttl);
        RespWriter.bulk(frame, payload);
        return frame;
    }

    /** The SHA-1 of {@code bytes} in hex, as Redis's {@code redis.sha1hex} gives it. */
    static String sha1(ByteBuf bytes) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-1");
            digest.update(bytes.nioBuffer());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    /** {@code :1} applied, {@code :0} declined (the key changed); anything else failed. */
    @Override
    public RepairOutcome repairOutcome(Command repair, ByteBuf reply) {
        if (isError(repair, reply)) {
            return RepairOutcome.FAILED;
        }
        if (repair.detail() != EVAL) {
            return RepairOutcome.APPLIED;
        }
        if (startsWith(reply, APPLIED)) {
            return RepairOutcome.APPLIED;
        }
        return startsWith(reply, DECLINED) ? RepairOutcome.DECLINED : RepairOutcome.FAILED;
    }

    private static final byte[] APPLIED = ":1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DECLINED = ":0\r\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    public Command scrubProbe(ByteBuf key, ByteBufAllocator alloc) {
        return command(alloc, TYPE, "TYPE", key);
    }

    /** By {@code TYPE}: the read that returns the whole value, compared as its verify mode says. */
    @Override
    public Command scrubRead(ByteBuf key, ByteBuf probeReply, ByteBufAllocator alloc) {
        if (probeReply == null || probeReply.getByte(probeReply.readerIndex()) != '+') {
            return null;
        }
        String type = probeReply.toString(probeReply.readerIndex() + 1, probeReply.readableBytes() - 1,
                StandardCharsets.US_ASCII).trim();
        return switch (type) {
            case "string" -> read(alloc, "get", key);
            case "hash" -> read(alloc, "hgetall", key);
            case "set" -> read(alloc, "smembers", key);
            case "list" -> read(alloc, "lrange", key, "0", "-1");
            case "zset" -> read(alloc, "zrange", key, "0", "-1", "WITHSCORES");
            case "stream" -> read(alloc, "xrange", key, "-", "+");
            default -> null;
        };
    }

    /**
     * {@code DUMP}: one serialisation is one value. Clusters whose servers serialise differently
     * (another encoding of the same hash, another RDB version) always differ here and are settled
     * by the probe and the logical read instead.
     */
    @Override
    public Command scrubFingerprint(ByteBuf key, ByteBufAllocator alloc) {
        return command(alloc, DUMP, "DUMP", key);
    }

    @Override
    public boolean scrubAbsent(ByteBuf reply) {
        return Replies.isNil(reply);
    }

    private static Command read(ByteBufAllocator alloc, String name, ByteBuf key, String... args) {
        ByteBuf[] bufs = new ByteBuf[args.length];
        for (int i = 0; i < args.length; i++) {
            bufs[i] = ascii(args[i]);
        }
        CommandInfo info = CommandTable.standard().get(name);
        return command(alloc, info, info.displayName(), key, bufs);
    }

    /**
     * What {@link #capture} read: the DUMP payload ({@code null} when the key is absent, or gone
     * between DUMP and PTTL), its SHA-1 as the conditional script computes it, and the TTL to
     * restore with (0 for none).
     */
    private record Captured(ByteBuf payload, String sha1, long ttl) {
        static Captured of(List<ByteBuf> captured) {
            if (captured.size() != 2) {
                return null;
            }
            ByteBuf dump = captured.get(0);
            ByteBuf pttl = captured.get(1);
            if (Replies.isError(null, dump) || Replies.isError(null, pttl) || dump.getByte(dump.readerIndex()) != '$'
                    || pttl.getByte(pttl.readerIndex()) != ':') {
                return null;
            }
            int dumpCr = dump.indexOf(dump.readerIndex(), dump.writerIndex(), (byte) '\r');
            int pttlCr = pttl.indexOf(pttl.readerIndex(), pttl.writerIndex(), (byte) '\r');
            if (dumpCr < 0 || pttlCr < 0) {
                return null;
            }
            long length = RespSplitter.parseDecimal(dump, dump.readerIndex() + 1, dumpCr);
            long ttl = RespSplitter.parseDecimal(pttl, pttl.readerIndex() + 1, pttlCr);
            if (length == Long.MIN_VALUE || ttl == Long.MIN_VALUE || ttl < -2) {
                return null;
            }
            if (length < 0) {
                return new Captured(null, RedisVerification.sha1(Unpooled.EMPTY_BUFFER), 0);
            }
            if (length > Integer.MAX_VALUE || dumpCr + 2 + length > dump.writerIndex()) {
                return null;
            }
            ByteBuf payload = dump.slice(dumpCr + 2, (int) length);
            // PTTL -2: expired between the two requests; the DUMP still names the state compared
            return new Captured(ttl == -2 ? null : payload, RedisVerification.sha1(payload), Math.max(ttl, 0));
        }
    }

    /** A multibulk command {@code name key args...} whose key is its first argument. */
    private static Command command(ByteBufAllocator alloc, CommandInfo info, String name, ByteBuf key, ByteBuf... args) {
        int size = 32 + key.readableBytes();
        for (ByteBuf arg : args) {
            size += 16 + arg.readableBytes();
        }
        ByteBuf frame = alloc.buffer(size);
        RespWriter.arrayHeader(frame, 2 + args.length);
        RespWriter.bulk(frame, name);
        int keyOffset = RespWriter.bulk(frame, key);
        for (ByteBuf arg : args) {
            RespWriter.bulk(frame, arg);
        }
        return Command.of(frame, info.displayName(), info.kind(), new int[] {keyOffset, key.readableBytes()}, info);
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.US_ASCII));
    }

    static Map<String, Mode> loadOverrides() {
        Map<String, Mode> modes = new HashMap<>();
        for (Tsv.Row row : Tsv.resource(OVERRIDES)) {
            String[] cols = row.columns();
            if (cols.length != 3 || CommandTable.standard().get(cols[0]) == null) {
                throw row.error("expected a known command, a mode and a reason");
            }
            modes.put(cols[0], Mode.valueOf(cols[1].toUpperCase(Locale.ROOT)));
        }
        return modes;
    }
}
