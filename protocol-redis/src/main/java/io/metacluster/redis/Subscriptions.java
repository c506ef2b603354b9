package io.metacluster.redis;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

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

    /** A message from the pinned connection: counts are taken from a (un)subscribe reply, anything else is passed over. */
    void seen(ByteBuf message) {
        int start = message.readerIndex();
        int end = message.writerIndex();
        if (end - start < 12 || (message.getByte(start) != '*' && message.getByte(start) != '>')
                || message.getByte(start + 1) != '3' || message.getByte(start + 4) != '$') {
            return;
        }
        int cr = message.indexOf(start + 5, end, (byte) '\r');
        int last = end - 2; // the count is the last line, ":N\r\n"
        int colon = message.indexOf(last, start, (byte) ':');
        if (cr < 0 || colon <= cr || message.getByte(colon - 1) != '\n') {
            return;
        }
        long count = RespSplitter.parseDecimal(message, colon + 1, last);
        int kindLength = (int) RespSplitter.parseDecimal(message, start + 5, cr);
        if (count < 0 || kindLength < 9 || kindLength > 12 || cr + 2 + kindLength > end) {
            return;
        }
        String kind = message.toString(cr + 2, kindLength, StandardCharsets.US_ASCII);
        int n = (int) Math.min(count, Integer.MAX_VALUE);
        switch (kind) {
            case "subscribe", "unsubscribe" -> record.sub = Math.max(0, n - record.psub);
            case "psubscribe", "punsubscribe" -> record.psub = Math.max(0, n - record.sub);
            case "ssubscribe", "sunsubscribe" -> record.ssub = n;
            default -> {
                // a message or pmessage: no count
            }
        }
    }

    /** RESET, or the pinned connection gone: no subscription left. */
    void none() {
        record.sub = 0;
        record.psub = 0;
        record.ssub = 0;
    }
}
