package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The write that brings the other clusters to the state one cluster decided, as Redis itself
 * replicates a command whose outcome that cluster chose (its {@code effect} in
 * {@code proxy-rules.tsv}): {@code XADD key * ...} is repeated with the ID the serving cluster
 * generated, {@code SPOP} becomes {@code SREM} of the members it popped, {@code INCRBYFLOAT}
 * becomes {@code SET key result KEEPTTL} and {@code HINCRBYFLOAT} {@code HSET key field result}
 * (so every cluster holds the very string the client saw), {@code PUBLISH} is sent again as it
 * is, and a blocking command that was served becomes its non-blocking form on the key that served
 * ({@code BLPOP} → {@code LPOP}, {@code BLMOVE} → {@code LMOVE}, {@code BZPOPMIN} → {@code ZREM} of
 * the popped member, ...), and an XREADGROUP of new entries becomes the XCLAIM of what it delivered
 * ({@link GroupReads}; that one goes to the serving cluster too, {@link #alsoToServer}). A reply that
 * says nothing changed (a nil, an empty array) or an error propagates nothing.
 *
 * <p>Stateless: one instance shared by every connection and thread. Runs once per such reply, not
 * on the path of ordinary commands.
 */
final class Effects implements ConditionalWrites {
    static final Effects INSTANCE = new Effects();

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
        HSET,
        /** Blocking, with nothing to propagate (XREAD BLOCK, WAIT). */
        NOTHING,
        /** BLPOP, BRPOP: LPOP or RPOP of the key that served. */
        POP,
        /** BLMOVE, BRPOPLPUSH: LMOVE or RPOPLPUSH with the same arguments but the timeout. */
        MOVE,
        /** BLMPOP: LPOP or RPOP of the key that served, as many elements as it popped. */
        MPOP,
        /** BZPOPMIN, BZPOPMAX: ZREM of the popped member. */
        ZPOP,
        /** BZMPOP: ZREM of the popped members. */
        ZMPOP,
        /**
         * XREADGROUP of new entries, blocking or not: XCLAIM of what it delivered ({@link GroupReads}); a read of
         * a consumer's history is a plain write.
         */
        XCLAIM;

        /**
         * A blocking command's: with BLOCK it runs on a connection of the client's own (a conversation, see
         * {@link io.metacluster.spi.Pinning}).
         */
        boolean blocking() {
            return ordinal() >= NOTHING.ordinal();
        }
    }

    private Effects() {
    }

    /**
     * Whether {@code effect} makes the request at {@code args} a conditional write (XADD: only with an ID to
     * generate; XREADGROUP: only of new entries).
     */
    static boolean applies(Effect effect, ByteBuf frame, RequestArgs args) {
        if (effect == Effect.XCLAIM) {
            return GroupReads.decided(frame, args.pairs(), args.count());
        }
        if (effect == Effect.XADD_ID) {
            int id = xaddIdArg(frame, args.pairs(), args.count());
            int from = frame.readerIndex() + (id > 0 ? args.offset(id) : 0);
            return id > 0 && frame.indexOf(from, from + args.length(id), (byte) '*') >= 0;
        }
        return effect != Effect.NONE && !effect.blocking();
    }

    /** Whether the read cluster needs the block/command too: XREADGROUP's delivery time is the proxy's ({@link GroupReads}). */
    @Override
    public boolean alsoToServer(Command propagation) {
        return GroupReads.CLAIMS.equals(propagation.name());
    }

    /** With BLOCK, whether the request at {@code args} blocks (XREADGROUP of a consumer's history does not). */
    static boolean blocks(Effect effect, ByteBuf frame, RequestArgs args) {
        return effect != Effect.XCLAIM || GroupReads.decided(frame, args.pairs(), args.count());
    }

    @Override
    public Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        if (command.detail() instanceof WatchedTransaction.Watched watched) {
            return watched(command, watched, reply, alloc);
        }
        if (command.detail() instanceof Transaction.Exec exec) {
            return exec.members().isEmpty() ? null : decided(command, exec, reply, alloc);
        }
        if (!(command.detail() instanceof CommandInfo info) || !reply.isReadable() || Replies.isError(null, reply)
                || Replies.isNil(reply)
                || (command.kind() != CommandKind.CONDITIONAL_WRITE && command.kind() != CommandKind.PINNED)) {
            return null;
        }
        try {
            return effect(command, info, reply, alloc);
        } catch (ProtocolException e) {
            throw new IllegalStateException("a reply that was framed once cannot be reframed", e);
        }
    }

    /** A watched conversation's command: its own write, or for EXEC that ran, the transaction's writes as one block. */
    private static Command watched(Command command, WatchedTransaction.Watched watched, ByteBuf reply, ByteBufAllocator alloc) {
        try {
            if (!reply.isReadable() || Replies.isError(null, reply)) {
                return null;
            }
            return switch (watched.step()) {
                case DIRECT -> repeat(command, watched.info(), watched.kind(), reply, alloc);
                case EXEC -> isArray(reply, reply.readerIndex())
                        ? block(command, watched.queued(), reply, reply.readerIndex(), alloc) : null;
                case SETUP, QUEUED, ENDS -> null;
            };
        } catch (ProtocolException e) {
            throw new IllegalStateException("a reply that was framed once cannot be reframed", e);
        } finally {
            if (watched.step() == WatchedTransaction.Step.EXEC) {
                WatchedTransaction.release(watched.queued());
            }
        }
    }

    /** What repeats {@code command}, of {@code kind}, served with {@code reply}: itself for a write, its effect, or nothing. */
    private static Command repeat(Command command, CommandInfo info, CommandKind kind, ByteBuf reply, ByteBufAllocator alloc)
            throws ProtocolException {
        return switch (kind) {
            case WRITE -> Command.of(command.frame().retainedSlice(), command.name(), CommandKind.WRITE, keysOf(command), info, command.lane());
            case CONDITIONAL_WRITE, PINNED -> Replies.isNil(reply) ? null : effect(command, info, reply, alloc);
            default -> null;
        };
    }

    /** A transaction the read cluster ran first (it queued SPOP, XADD * ...): its block of effects, from its EXEC reply. */
    private static Command decided(Command command, Transaction.Exec exec, ByteBuf reply, ByteBufAllocator alloc) {
        int at = reply.readerIndex() + exec.execReplyOffset(reply);
        if (at >= reply.writerIndex() || !isArray(reply, at)) {
            return null;
        }
        List<Command> queued = new ArrayList<>(exec.members().size());
        try {
            for (Transaction.Member member : exec.members()) {
                queued.add(member.command(command.frame(), command.lane()));
            }
            return block(command, queued, reply, at, alloc);
        } catch (ProtocolException e) {
            throw new IllegalStateException("a reply that was framed once cannot be reframed", e);
        } finally {
            WatchedTransaction.release(queued);
        }
    }

    /**
     * MULTI, what repeats each of {@code queued} that did not fail (the element of the EXEC reply
     * at {@code at} says), EXEC; or nothing.
     */
    private static Command block(Command exec, List<Command> queuedCommands, ByteBuf reply, int at, ByteBufAllocator alloc)
            throws ProtocolException {
        List<Command> writes = new ArrayList<>();
        int element = first(reply, at);
        for (int i = 0; i < Math.min(count(reply, at), queuedCommands.size()); i++) {
            int length = RespSplitter.lengthOf(reply, element);
            ByteBuf result = reply.slice(element, length);
            element += length;
            Command queued = queuedCommands.get(i);
            Command write = Replies.isError(null, result) || !(queued.detail() instanceof CommandInfo info) ? null
                    : repeat(queued, info, queued.kind(), result, alloc);
            if (write != null) {
                writes.add(write);
            }
        }
        return writes.isEmpty() ? null : multi(exec.name(), writes, alloc, exec.lane());
    }

    /** MULTI, {@code writes} (whose frames it takes over), EXEC: one write named {@code name}. */
    static Command multi(String name, List<Command> writes, ByteBufAllocator alloc, int lane) {
        CompositeByteBuf out = alloc.compositeBuffer();
        out.addComponent(true, Unpooled.wrappedBuffer(Transaction.MULTI));
        int[] keys = new int[0];
        for (Command write : writes) {
            int offset = out.writerIndex();
            keys = Arrays.copyOf(keys, keys.length + 2 * write.keyCount());
            for (int k = 0; k < write.keyCount(); k++) {
                keys[keys.length - 2 * write.keyCount() + 2 * k] = offset + write.keyOffset(k);
                keys[keys.length - 2 * write.keyCount() + 2 * k + 1] = write.keyLength(k);
            }
            out.addComponent(true, write.frame()); // the write's reference moves to the block
        }
        out.addComponent(true, Unpooled.wrappedBuffer(Transaction.EXEC));
        // framed by the backend codec as a transaction: +OK, a QUEUED per write, the EXEC reply
        return Command.of(out, name, CommandKind.WRITE, keys, new Transaction.Exec(writes.size()), lane);
    }

    private static Command effect(Command command, CommandInfo info, ByteBuf reply, ByteBufAllocator alloc)
            throws ProtocolException {
        ByteBuf frame = command.frame();
        int at = reply.readerIndex();
        return switch (info.rules().effect()) {
            case NONE, NOTHING -> null;
            case SAME -> Command.of(frame.retainedSlice(), command.name(), CommandKind.WRITE, keysOf(command), info, command.lane());
            case XADD_ID -> {
                int[] args = MultibulkArgs.of(frame);
                int id = xaddIdArg(frame, args, args.length / 2);
                Part[] parts = args(frame, args, 0, args.length / 2);
                parts[id] = bulk(reply, at);
                yield write(command, info, alloc, 1, parts);
            }
            case SREM -> {
                Part[] members = isArray(reply, at) ? elements(reply, at) : new Part[] {bulk(reply, at)};
                yield members.length == 0 ? null
                        : write(command, info, alloc, 1, join(verb("SREM"), arg(frame, 1), members));
            }
            case SET_KEEPTTL -> write(command, info, alloc, 1, verb("SET"), arg(frame, 1), bulk(reply, at), verb("KEEPTTL"));
            case HSET -> write(command, info, alloc, 1, verb("HSET"), arg(frame, 1), arg(frame, 2), bulk(reply, at));
            // BLPOP, BRPOP: [key, element]
            case POP -> write(command, info, alloc, 1, verb(command.name().substring(1)), elements(reply, at)[0]);
            case MOVE -> { // BLMOVE src dst from to timeout, BRPOPLPUSH src dst timeout
                int[] args = MultibulkArgs.of(frame);
                Part[] parts = args(frame, args, 0, args.length / 2 - 1);
                parts[0] = verb(command.name().substring(1));
                yield write(command, info, alloc, 2, parts);
            }
            case MPOP -> { // BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n]: [key, [element...]]
                int[] args = MultibulkArgs.of(frame);
                int numkeys = (int) RespSplitter.parseDecimal(frame, frame.readerIndex() + args[4],
                        frame.readerIndex() + args[4] + args[5]);
                boolean left = KeyFinder.argEquals(frame, args, 3 + numkeys, "LEFT");
                int popped = count(reply, second(reply, at));
                yield write(command, info, alloc, 1, verb(left ? "LPOP" : "RPOP"), elements(reply, at)[0],
                        verb(Integer.toString(popped)));
            }
            // BZPOPMIN, BZPOPMAX: [key, member, score]
            case ZPOP -> write(command, info, alloc, 1, verb("ZREM"), elements(reply, at)[0], elements(reply, at)[1]);
            case ZMPOP -> { // BZMPOP timeout numkeys key... MIN|MAX [COUNT n]: [key, [[member, score]...]]
                int pairs = second(reply, at);
                Part[] members = new Part[count(reply, pairs)];
                int pair = first(reply, pairs);
                for (int i = 0; i < members.length; i++) {
                    members[i] = bulk(reply, first(reply, pair));
                    pair += RespSplitter.lengthOf(reply, pair);
                }
                yield write(command, info, alloc, 1, join(verb("ZREM"), elements(reply, at)[0], members));
            }
            case XCLAIM -> GroupReads.effect(command, info, reply, alloc, System.currentTimeMillis());
        };
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

    /** A piece of an effect's request: {@code length} bytes of {@code buf} at {@code index}, one bulk string. */
    record Part(ByteBuf buf, int index, int length) {
    }

    static Part verb(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new Part(Unpooled.wrappedBuffer(bytes), 0, bytes.length);
    }

    /** Argument {@code i} of {@code frame}. */
    static Part arg(ByteBuf frame, int i) {
        int[] args = MultibulkArgs.of(frame);
        return new Part(frame, frame.readerIndex() + args[2 * i], args[2 * i + 1]);
    }

    /** Arguments {@code from} to {@code to - 1} of {@code frame}. */
    private static Part[] args(ByteBuf frame, int[] args, int from, int to) {
        Part[] parts = new Part[to - from];
        for (int i = from; i < to; i++) {
            parts[i - from] = new Part(frame, frame.readerIndex() + args[2 * i], args[2 * i + 1]);
        }
        return parts;
    }

    private static Part[] join(Part verb, Part key, Part[] rest) {
        Part[] parts = new Part[2 + rest.length];
        parts[0] = verb;
        parts[1] = key;
        System.arraycopy(rest, 0, parts, 2, rest.length);
        return parts;
    }

    /** The request of {@code parts}, the verb first; arguments 1 to {@code keys} are its keys. */
    private static Command write(Command command, CommandInfo info, ByteBufAllocator alloc, int keys, Part... parts) {
        return request(command.name(), info, command.lane(), alloc, 1, keys, parts);
    }

    /** The write {@code name} of {@code parts}, the verb first; argument {@code key} is its one key. */
    static Command request(String name, CommandInfo info, int lane, ByteBufAllocator alloc, int key, Part... parts) {
        return request(name, info, lane, alloc, key, 1, parts);
    }

    /** Arguments {@code firstKey} to {@code firstKey + keys - 1} of {@code parts} are its keys. */
    private static Command request(String name, CommandInfo info, int lane, ByteBufAllocator alloc, int firstKey, int keys,
                                   Part... parts) {
        int size = 16;
        for (Part part : parts) {
            size += part.length + 16;
        }
        ByteBuf out = alloc.buffer(size);
        RespWriter.arrayHeader(out, parts.length);
        int[] ranges = new int[2 * keys];
        for (int i = 0; i < parts.length; i++) {
            int payload = RespWriter.bulk(out, parts[i].buf, parts[i].index, parts[i].length);
            if (i >= firstKey && i < firstKey + keys) {
                ranges[2 * (i - firstKey)] = payload - out.readerIndex();
                ranges[2 * (i - firstKey) + 1] = parts[i].length;
            }
        }
        return Command.of(out, name, CommandKind.WRITE, ranges, info, lane);
    }

    private static int[] keysOf(Command command) {
        int[] keys = new int[2 * command.keyCount()];
        for (int i = 0; i < command.keyCount(); i++) {
            keys[2 * i] = command.keyOffset(i);
            keys[2 * i + 1] = command.keyLength(i);
        }
        return keys;
    }

    /** The bulk string at {@code at}. */
    static Part bulk(ByteBuf reply, int at) {
        int cr = reply.indexOf(at, reply.writerIndex(), (byte) '\r');
        return new Part(reply, cr + 2, (int) RespSplitter.parseDecimal(reply, at + 1, cr));
    }

    /** An array, or a RESP3 set. */
    private static boolean isArray(ByteBuf reply, int at) {
        byte type = reply.getByte(at);
        return type == '*' || type == '~';
    }

    /** The element count of the array at {@code at}. */
    static int count(ByteBuf reply, int at) {
        return (int) RespSplitter.parseDecimal(reply, at + 1, reply.indexOf(at, reply.writerIndex(), (byte) '\r'));
    }

    /** Where the first element of the array at {@code at} starts. */
    static int first(ByteBuf reply, int at) {
        return reply.indexOf(at, reply.writerIndex(), (byte) '\r') + 2;
    }

    /** Where the second element of the array at {@code at} starts. */
    private static int second(ByteBuf reply, int at) throws ProtocolException {
        int first = first(reply, at);
        return first + RespSplitter.lengthOf(reply, first);
    }

    /** The leading bulk strings of the array at {@code at}, up to the first element that is not one. */
    private static Part[] elements(ByteBuf reply, int at) throws ProtocolException {
        Part[] parts = new Part[count(reply, at)];
        int element = first(reply, at);
        int i = 0;
        for (; i < parts.length && reply.getByte(element) == '$'; i++) {
            parts[i] = bulk(reply, element);
            element += RespSplitter.lengthOf(reply, element);
        }
        return i == parts.length ? parts : Arrays.copyOf(parts, i);
    }
}
