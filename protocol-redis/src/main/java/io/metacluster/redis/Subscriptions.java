package io.metacluster.redis;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A subscribed client's subscription counts as Redis's {@code CLIENT LIST} shows them
 * ({@code sub}, {@code psub}, {@code ssub}, flag {@code P}), read off the (un)subscribe replies of
 * its pinned connection: each counts what is left, channels and patterns together
 * ({@code subscribe}, {@code psubscribe} and their unsubscribes) or shard channels ({@code ssubscribe},
 * {@code sunsubscribe}), so the kind that changed is the total less the other. Written to the
 * client's {@link ClientRecord}; confined to the client's event loop.
 */
final class Subscriptions {
    private final ClientRecord record;

    Subscriptions(ClientRecord record) {
        this.record = record;
    }

    /** What a three-element message from a subscribed connection is, told from its first element. */
    enum Kind {
        SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE, OTHER;

        private final byte[] word = name().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);

        boolean subscribes() {
            return this == SUBSCRIBE || this == PSUBSCRIBE || this == SSUBSCRIBE;
        }

        boolean unsubscribes() {
            return this == UNSUBSCRIBE || this == PUNSUBSCRIBE || this == SUNSUBSCRIBE;
        }
    }

    /**
     * The kind of {@code message} ({@code *3} or RESP3 {@code >3}, then its kind as a bulk string),
     * compared in place: a published message passes here too, so nothing is allocated.
     */
    static Kind kindOf(ByteBuf message) {
        int start = message.readerIndex();
        int end = message.writerIndex();
        if (end - start < 12 || (message.getByte(start) != '*' && message.getByte(start) != '>')
                || message.getByte(start + 1) != '3' || message.getByte(start + 2) != '\r'
                || message.getByte(start + 3) != '\n' || message.getByte(start + 4) != '$') {
            return Kind.OTHER;
        }
        int cr = message.indexOf(start + 5, end, (byte) '\r');
        long length = cr < 0 ? -1 : RespSplitter.parseDecimal(message, start + 5, cr);
        if (length < 9 || length > 12 || cr + 2 + length > end) {
            return Kind.OTHER;
        }
        for (Kind kind : Kind.values()) {
            if (kind.word.length == length && matches(message, cr + 2, kind.word)) {
                return kind;
            }
        }
        return Kind.OTHER;
    }

    private static boolean matches(ByteBuf message, int at, byte[] word) {
        for (int i = 0; i < word.length; i++) {
            if (message.getByte(at + i) != word[i]) {
                return false;
            }
        }
        return true;
    }

    /** A message from the pinned connection: counts are taken from a (un)subscribe reply, anything else is passed over. */
    void seen(ByteBuf message) {
        seen(message, kindOf(message));
    }

    /** {@link #seen(ByteBuf)} of a message whose kind is known. */
    void seen(ByteBuf message, Kind kind) {
        if (kind == Kind.OTHER) {
            return;
        }
        int end = message.writerIndex();
        int last = end - 2; // the count is the last line, ":N\r\n"
        int colon = message.indexOf(last, message.readerIndex(), (byte) ':');
        if (colon < 0 || message.getByte(colon - 1) != '\n') {
            return;
        }
        long count = RespSplitter.parseDecimal(message, colon + 1, last);
        if (count < 0) {
            return;
        }
        int n = (int) Math.min(count, Integer.MAX_VALUE);
        switch (kind) {
            case SUBSCRIBE, UNSUBSCRIBE -> record.sub = Math.max(0, n - record.psub);
            case PSUBSCRIBE, PUNSUBSCRIBE -> record.psub = Math.max(0, n - record.sub);
            default -> record.ssub = n;
        }
    }

    /** RESET, or the pinned connection gone: no subscription left. */
    void none() {
        record.sub = 0;
        record.psub = 0;
        record.ssub = 0;
    }
}
