package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandSplitter;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * The Redis commands a sharded cluster can serve key by key, by the {@code split} column of
 * {@code proxy-rules.tsv}: MGET (values joined in key order), MSET (key-value pairs; OK) and the
 * key-counting EXISTS, DEL, UNLINK, TOUCH (counts added). Any other command is not split.
 *
 * <p>Stateless: one instance shared by every connection and thread. See {@link CommandSplitter}
 * for buffer ownership.
 */
final class ShardSplitter implements CommandSplitter {
    static final ShardSplitter INSTANCE = new ShardSplitter();

    private ShardSplitter() {
    }

    @Override
    public Command part(Command command, int[] keys, int count) {
        if (!(command.detail() instanceof CommandInfo info) || info.rules().split() == CommandRules.Split.NONE) {
            return null;
        }
        boolean pairs = info.rules().split() == CommandRules.Split.PAIRS;
        ByteBuf whole = command.frame();
        ByteBuf frame = whole.alloc().buffer(32 + 16 * count);
        RespWriter.arrayHeader(frame, (pairs ? 2 : 1) * count + 1);
        RespWriter.bulk(frame, info.name());
        int[] ranges = new int[2 * count];
        for (int i = 0; i < count; i++) {
            int length = command.keyLength(keys[i]);
            int key = whole.readerIndex() + command.keyOffset(keys[i]);
            ranges[2 * i] = RespWriter.bulk(frame, whole, key, length);
            ranges[2 * i + 1] = length;
            if (pairs) {
                // the key's value is the next bulk string of the frame: copy it whole, header included
                int from = key + length + 2;
                try {
                    frame.writeBytes(whole, from, RespSplitter.lengthOf(whole, from));
                } catch (ProtocolException e) {
                    throw new IllegalStateException("a decoded MSET has a value after each key", e);
                }
            }
        }
        return Command.of(frame, command.name(), command.kind(), ranges, info, command.lane());
    }

    @Override
    public ByteBuf join(Command command, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc) {
        try {
            return switch (((CommandInfo) command.detail()).rules().split()) {
                case PAIRS -> replies[0].retain();
                case SUM -> sum(replies, alloc);
                case KEY_ORDER -> inKeyOrder(command.keyCount(), replies, keysOfParts, alloc);
                case NONE -> throw new IllegalStateException(command.name() + " is not split, so never joined");
            };
        } catch (ProtocolException e) {
            throw new IllegalStateException("a reply framed once cannot be reframed", e);
        } finally {
            for (ByteBuf reply : replies) {
                reply.release();
            }
        }
    }

    /** The parts' integer replies added. */
    private static ByteBuf sum(ByteBuf[] replies, ByteBufAllocator alloc) {
        long sum = 0;
        for (ByteBuf reply : replies) {
            sum += RespSplitter.parseDecimal(reply, reply.readerIndex() + 1, reply.writerIndex() - 2);
        }
        ByteBuf out = alloc.buffer(24);
        RespWriter.integer(out, sum);
        return out;
    }

    /** The parts' array elements, each put back at its key's place. */
    private static ByteBuf inKeyOrder(int keys, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc)
            throws ProtocolException {
        ByteBuf[] values = new ByteBuf[keys];
        for (int p = 0; p < replies.length; p++) {
            ByteBuf reply = replies[p];
            // past the "*N\r\n" header, then one element per key of the part
            int at = reply.indexOf(reply.readerIndex(), reply.writerIndex(), (byte) '\n') + 1;
            for (int key : keysOfParts[p]) {
                int length = RespSplitter.lengthOf(reply, at);
                values[key] = reply.retainedSlice(at, length);
                at += length;
            }
        }
        CompositeByteBuf joined = alloc.compositeBuffer(values.length + 1);
        ByteBuf header = alloc.buffer(16);
        RespWriter.arrayHeader(header, values.length);
        joined.addComponent(true, header);
        for (ByteBuf value : values) {
            joined.addComponent(true, value);
        }
        return joined;
    }
}
