package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ConditionalWrites;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * The write that brings the other clusters to the state one cluster decided, as Redis itself
 * replicates a command whose outcome that cluster chose (its {@code effect} in
 * {@code proxy-rules.tsv}): {@code XADD key * ...} is repeated with the ID the serving cluster
 * generated, {@code SPOP} becomes {@code SREM} of the members it popped, {@code INCRBYFLOAT}
 * becomes {@code SET key result KEEPTTL} and {@code HINCRBYFLOAT} {@code HSET key field result}
 * (so every cluster holds the very string the client saw), and {@code PUBLISH} is sent again as it
 * is. A reply that says nothing changed (a nil, an empty array) propagates nothing. Errors never
 * get here: the engine propagates only what succeeded.
 *
 * <p>Stateless: one instance shared by every connection and thread.
 */
final class Effects implements ConditionalWrites {
    static final Effects INSTANCE = new Effects();

    private static final byte[] SREM = bytes("SREM");
    private static final byte[] SET = bytes("SET");
    private static final byte[] HSET = bytes("HSET");
    private static final byte[] KEEPTTL = bytes("KEEPTTL");

    /** How a command's effect is written for the other clusters. */
    enum Effect {
        /** Not a conditional write: the command itself goes everywhere. */
        NONE,
        /** The same command again (PUBLISH: the receiver count is the serving cluster's). */
        SAME,
        /** XADD whose ID has a {@code *}: the same command with the generated ID from the reply. */
        XADD_ID,
        /** SPOP: SREM of the popped members from the reply. */
        SREM,
        /** INCRBYFLOAT: SET of the reply's value, keeping the key's TTL. */
        SET_KEEPTTL,
        /** HINCRBYFLOAT: HSET of the reply's value. */
        HSET
    }

    private Effects() {
    }

    /** Whether {@code effect} makes the request at {@code args} a conditional write (XADD: only with an ID to generate). */
    static boolean applies(Effect effect, ByteBuf frame, RequestArgs args) {
        return switch (effect) {
            case NONE -> false;
            case XADD_ID -> {
                int id = xaddIdArg(frame, args.pairs(), args.count());
                yield id > 0 && frame.indexOf(frame.readerIndex() + args.offset(id),
                        frame.readerIndex() + args.offset(id) + args.length(id), (byte) '*') >= 0;
            }
            default -> true;
        };
    }

    @Override
    public Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        if (!(command.detail() instanceof CommandInfo info) || command.kind() != CommandKind.CONDITIONAL_WRITE) {
            return null;
        }
        ByteBuf frame = command.frame();
        return switch (info.rules().effect()) {
            case NONE -> null;
            case SAME -> Command.of(frame.retainedSlice(), command.name(), CommandKind.WRITE, keysOf(command), info);
            case XADD_ID -> xadd(command, info, reply, alloc);
            case SREM -> srem(command, info, reply, alloc);
            case SET_KEEPTTL -> withResult(command, info, reply, alloc, SET, 2, KEEPTTL);
            case HSET -> withResult(command, info, reply, alloc, HSET, 3, null);
        };
    }

    /** XADD with the ID argument replaced by the reply's ID. */
    private static Command xadd(Command command, CommandInfo info, ByteBuf reply, ByteBufAllocator alloc) {
        ByteBuf frame = command.frame();
        int[] args = MultibulkArgs.of(frame);
        int count = args.length / 2;
        int idArg = xaddIdArg(frame, args, count);
        int payload = bulkPayload(reply);
        if (idArg < 0 || payload < 0) {
            return null; // NOMKSTREAM on a missing stream: nothing was added
        }
        ByteBuf out = alloc.buffer(frame.readableBytes() + 32);
        RespWriter.arrayHeader(out, count);
        int keyAt = 0;
        for (int i = 0; i < count; i++) {
            int at = i == idArg
                    ? RespWriter.bulk(out, reply, payload, bulkLength(reply))
                    : RespWriter.bulk(out, frame, frame.readerIndex() + args[2 * i], args[2 * i + 1]);
            if (i == 1) {
                keyAt = at;
            }
        }
        return Command.of(out, command.name(), CommandKind.WRITE, keyAt - out.readerIndex(), args[3], info, command.lane());
    }

    /** SREM key and the popped members (a bulk string, or an array or RESP3 set of them). */
    private static Command srem(Command command, CommandInfo info, ByteBuf reply, ByteBufAllocator alloc) {
        int at = reply.readerIndex();
        byte type = reply.getByte(at);
        int members;
        if (type == '$') {
            members = bulkPayload(reply) < 0 ? 0 : 1;
        } else if (type == '*' || type == '~') {
            int cr = reply.indexOf(at, reply.writerIndex(), (byte) '\r');
            members = (int) RespSplitter.parseDecimal(reply, at + 1, cr);
            at = cr + 2;
        } else {
            return null;
        }
        if (members <= 0) {
            return null;
        }
        ByteBuf out = alloc.buffer(reply.readableBytes() + 32);
        RespWriter.arrayHeader(out, 2L + members);
        RespWriter.bulk(out, SREM);
        int keyAt = keyBulk(out, command);
        if (type == '$') {
            RespWriter.bulk(out, reply, bulkPayload(reply), bulkLength(reply));
        } else {
            // the elements are bulk strings already: copied as they are
            out.writeBytes(reply, at, reply.writerIndex() - at);
        }
        return Command.of(out, command.name(), CommandKind.WRITE, keyAt, command.keyLength(0), info, command.lane());
    }

    /**
     * {@code verb}, the command's arguments 1 to {@code upTo - 1} (the key, HINCRBYFLOAT's field),
     * the reply's value, then {@code suffix} when there is one.
     */
    private static Command withResult(Command command, CommandInfo info, ByteBuf reply, ByteBufAllocator alloc,
                                      byte[] verb, int upTo, byte[] suffix) {
        int payload = bulkPayload(reply);
        if (payload < 0) {
            return null;
        }
        ByteBuf frame = command.frame();
        int[] args = MultibulkArgs.of(frame);
        ByteBuf out = alloc.buffer(frame.readableBytes() + reply.readableBytes() + 32);
        RespWriter.arrayHeader(out, upTo + 1 + (suffix == null ? 0 : 1));
        RespWriter.bulk(out, verb);
        int keyAt = 0;
        for (int i = 1; i < upTo; i++) {
            int at = RespWriter.bulk(out, frame, frame.readerIndex() + args[2 * i], args[2 * i + 1]);
            if (i == 1) {
                keyAt = at;
            }
        }
        RespWriter.bulk(out, reply, payload, bulkLength(reply));
        if (suffix != null) {
            RespWriter.bulk(out, suffix);
        }
        return Command.of(out, command.name(), CommandKind.WRITE, keyAt - out.readerIndex(), args[3], info,
                command.lane());
    }

    /** Writes the command's key as a bulk string; returns where it starts, from {@code out}'s reader index. */
    private static int keyBulk(ByteBuf out, Command command) {
        ByteBuf frame = command.frame();
        return RespWriter.bulk(out, frame, frame.readerIndex() + command.keyOffset(0), command.keyLength(0))
                - out.readerIndex();
    }

    /**
     * Which argument of an XADD is its ID: after the key, NOMKSTREAM, {@code MAXLEN|MINID [=|~]
     * threshold} and {@code LIMIT count}, as Redis's streamParseAddOrTrimArgsOrReply reads them;
     * -1 when the request ends first.
     */
    static int xaddIdArg(ByteBuf frame, int[] args, int count) {
        int i = 2;
        while (i < count) {
            if (KeyFinder.argEquals(frame, args, i, "NOMKSTREAM")) {
                i++;
            } else if (KeyFinder.argEquals(frame, args, i, "MAXLEN") || KeyFinder.argEquals(frame, args, i, "MINID")) {
                i++;
                if (i < count && (KeyFinder.argEquals(frame, args, i, "=") || KeyFinder.argEquals(frame, args, i, "~"))) {
                    i++;
                }
                i++;
            } else if (KeyFinder.argEquals(frame, args, i, "LIMIT")) {
                i += 2;
            } else {
                return i;
            }
        }
        return -1;
    }

    private static int[] keysOf(Command command) {
        int[] keys = new int[2 * command.keyCount()];
        for (int i = 0; i < command.keyCount(); i++) {
            keys[2 * i] = command.keyOffset(i);
            keys[2 * i + 1] = command.keyLength(i);
        }
        return keys;
    }

    /** Where a bulk string reply's payload starts (an absolute index), or -1 for a nil or anything else. */
    private static int bulkPayload(ByteBuf reply) {
        int at = reply.readerIndex();
        if (reply.readableBytes() < 4 || reply.getByte(at) != '$' || reply.getByte(at + 1) == '-') {
            return -1;
        }
        return reply.indexOf(at, reply.writerIndex(), (byte) '\r') + 2;
    }

    private static int bulkLength(ByteBuf reply) {
        int at = reply.readerIndex();
        return (int) RespSplitter.parseDecimal(reply, at + 1, reply.indexOf(at, reply.writerIndex(), (byte) '\r'));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
