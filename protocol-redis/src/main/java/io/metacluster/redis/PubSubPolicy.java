package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.Pinning;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * How Redis pub/sub crosses the proxy. A subscribing client is pinned to a backend connection of
 * its own ({@link CommandKind#PINNED}): while it is, it may send what Redis 7.0 allows a
 * subscribed RESP2 connection (the {@code while-pinned} column of {@code proxy-rules.tsv}), and
 * the reply that leaves it no subscription, or RESET's, ends the mode. PUBLISH is a
 * {@link CommandKind#CONDITIONAL_WRITE}: answered by the read cluster, where this proxy's
 * subscribers are, so the client's receiver count is theirs; the same message then goes to the
 * other clusters.
 *
 * <p>Stateless: one instance shared by every connection and thread.
 */
final class PubSubPolicy implements Pinning, ConditionalWrites {
    static final PubSubPolicy INSTANCE = new PubSubPolicy();

    private static final byte[] RESET_REPLY = "+RESET\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_SUBSCRIPTION_LEFT = "\r\n:0\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PUSH_OF_THREE = "*3\r\n$".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESP3_PUSH_OF_THREE = ">3\r\n$".getBytes(StandardCharsets.US_ASCII);

    private PubSubPolicy() {
    }

    /**
     * A command Redis 7.0 does not have gets its own error first (AS_USUAL), as Redis checks that
     * first. A RESP3 client may run any command while subscribed (its messages are pushes, told
     * apart from replies): what RESP2 refuses is handled as usual for it.
     */
    @Override
    public Route whilePinned(Command command) {
        if (!(command.detail() instanceof CommandInfo info)) {
            return Route.AS_USUAL;
        }
        Route route = info.rules().whilePinned();
        return route == Route.REFUSE && Session.resp3(command.lane()) ? Route.AS_USUAL : route;
    }

    @Override
    public String refusal(Command command) {
        String name = command.detail() instanceof CommandInfo info ? info.name() : command.name();
        return "Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET"
                + " are allowed in this context";
    }

    /**
     * RESET's reply, or an unsubscribe reply ({@code *3}, RESP3 {@code >3}, kind {@code unsubscribe},
     * {@code punsubscribe} or {@code sunsubscribe}, then the channel) that counts no subscription left.
     */
    @Override
    public boolean endsPinning(ByteBuf message) {
        if (startsWith(message, 0, RESET_REPLY) && message.readableBytes() == RESET_REPLY.length) {
            return true;
        }
        int length = message.readableBytes();
        if (length < 4 + NO_SUBSCRIPTION_LEFT.length || !startsWith(message, length - NO_SUBSCRIPTION_LEFT.length, NO_SUBSCRIPTION_LEFT)
                || !(startsWith(message, 0, PUSH_OF_THREE) || startsWith(message, 0, RESP3_PUSH_OF_THREE))) {
            return false;
        }
        int at = message.readerIndex() + 5;
        int cr = message.indexOf(at, message.writerIndex(), (byte) '\r');
        if (cr < 0 || cr + 2 >= message.writerIndex()) {
            return false;
        }
        String kind = message.toString(cr + 2, Math.min(12, message.writerIndex() - cr - 2), StandardCharsets.US_ASCII);
        return kind.startsWith("unsubscribe\r") || kind.startsWith("punsubscribe") || kind.startsWith("sunsubscribe");
    }

    private static boolean startsWith(ByteBuf buf, int offset, byte[] prefix) {
        if (buf.readableBytes() < offset + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(buf.readerIndex() + offset + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** PUBLISH or SPUBLISH, the only conditional writes: the same frame, sent as a plain write. */
    @Override
    public Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        if (!(command.detail() instanceof CommandInfo info) || info.kind() != CommandKind.CONDITIONAL_WRITE) {
            return null;
        }
        int[] keys = new int[2 * command.keyCount()];
        for (int i = 0; i < command.keyCount(); i++) {
            keys[2 * i] = command.keyOffset(i);
            keys[2 * i + 1] = command.keyLength(i);
        }
        return Command.of(command.frame().retainedSlice(), command.name(), CommandKind.WRITE, keys, info, command.lane());
    }
}
