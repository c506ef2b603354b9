package io.metacluster.memcached;

import io.netty.buffer.ByteBuf;

/**
 * Which backend replies a client asked not to see.
 *
 * <p>The proxy forwards quiet requests as loud ones ({@code noreply} and meta {@code q} stripped,
 * binary quiet opcodes turned into their loud twins) so that every request gets exactly one
 * reply: replies are matched to requests first-in first-out, and a write that failed must be
 * seen by the write policy. The replies memcached would not have sent are then hidden here. The
 * rules are memcached 1.6.18's, checked against the real server. memcached reads only the first
 * byte of a meta flag, so {@code q0}, {@code q-1} or {@code qq} is the quiet flag as much as
 * {@code q}; a second one is a duplicate flag, which the proxy refuses as memcached does.
 */
enum Quiet {
    /** Every reply is shown. */
    NONE {
        @Override
        boolean hides(ByteBuf reply) {
            return false;
        }
    },
    /** Text {@code noreply}: nothing is shown, not even errors (memcached drops them too). */
    NOREPLY {
        @Override
        boolean hides(ByteBuf reply) {
            return true;
        }

        @Override
        boolean hidesErrors() {
            return true;
        }
    },
    /** {@code mg ... q}: the miss ({@code EN}) is hidden; hits and errors are shown. */
    META_MISS {
        @Override
        boolean hides(ByteBuf reply) {
            return startsWithCode(reply, 'E', 'N');
        }
    },
    /** {@code ms ... q}, {@code md ... q}: success ({@code HD}) is hidden; NS, NF, EX and errors are shown. */
    META_SUCCESS {
        @Override
        boolean hides(ByteBuf reply) {
            return startsWithCode(reply, 'H', 'D');
        }
    },
    /**
     * {@code ma ... q}: success is hidden, with or without the value ({@code HD}, {@code VA}).
     * memcached 1.6.18 still shows the {@code HD} of an item created by autovivify ({@code N});
     * its reply looks like an increment's, so the proxy hides it too.
     */
    META_ARITHMETIC {
        @Override
        boolean hides(ByteBuf reply) {
            return startsWithCode(reply, 'H', 'D') || startsWithCode(reply, 'V', 'A');
        }
    },
    /** GetQ, GetKQ, GATQ, GATKQ: "Key not found" is hidden. */
    BINARY_MISS {
        @Override
        boolean hides(ByteBuf reply) {
            return BinaryPacket.status(reply) == BinaryPacket.STATUS_KEY_NOT_FOUND;
        }
    },
    /** SetQ, AddQ, ReplaceQ, DeleteQ, IncrementQ, DecrementQ, FlushQ, AppendQ, PrependQ: success is hidden. */
    BINARY_SUCCESS {
        @Override
        boolean hides(ByteBuf reply) {
            return BinaryPacket.status(reply) == BinaryPacket.STATUS_SUCCESS;
        }
    };

    /** Whether the client must not see {@code reply} (a complete reply frame, not consumed). */
    abstract boolean hides(ByteBuf reply);

    /** Whether errors the proxy itself answers with are hidden too (only text {@code noreply}). */
    boolean hidesErrors() {
        return false;
    }

    /** A meta return code: two letters followed by a space or the line end. */
    static boolean startsWithCode(ByteBuf reply, char a, char b) {
        int i = reply.readerIndex();
        if (reply.readableBytes() < 3 || reply.getByte(i) != a || reply.getByte(i + 1) != b) {
            return false;
        }
        byte next = reply.getByte(i + 2);
        return next == ' ' || next == '\r' || next == '\n';
    }
}
