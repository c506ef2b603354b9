package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Pinning;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * How Redis pub/sub and blocking commands cross the proxy. A blocking command (BLPOP, XREAD
 * BLOCK, ...) is a conversation of one command ({@link Pinning}): it runs on a backend connection
 * of the client's own to the read cluster, and its effect ({@link Effects}) then goes to the
 * others. A subscribing client is pinned to a backend connection of
 * its own ({@link CommandKind#PINNED}): while it is, it may send what Redis 7.0 allows a
 * subscribed RESP2 connection (the {@code while-pinned} column of {@code proxy-rules.tsv}), and
 * the reply that leaves it no subscription, or RESET's, ends the mode. PUBLISH is a
 * {@link CommandKind#CONDITIONAL_WRITE} ({@link Effects}): answered by the read cluster, where this
 * proxy's subscribers are, so the client's receiver count is theirs; the same message then goes to
 * the other clusters.
 *
 * <p>An {@code UNSUBSCRIBE a b c} is answered with one message per channel, each counting the
 * subscriptions left: a client subscribed to nothing gets three messages that all count 0. And a
 * client may send {@code SUBSCRIBE} again before the unsubscribe message that counts 0 came back
 * (redis-py does): the server then counts 1 again. So the policy counts the (un)subscribe messages
 * still to come ({@link #sending}, told by the codec as it reads the commands) and ends the mode
 * only at an unsubscribe message counting 0 with none of them left.
 *
 * <p>Per connection (that count); confined to its event loop.
 */
final class PubSubPolicy implements Pinning {

    private static final byte[] RESET_REPLY = "+RESET\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_SUBSCRIPTION_LEFT = "\r\n:0\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Unsubscribe messages still to come for the (P|S)UNSUBSCRIBE commands sent on the pinned connection. */
    private long pendingUnsubscribes;
    private final Subscriptions subscriptions;

    PubSubPolicy() {
        this(new ClientRecord());
    }

    /** Counting the client's subscriptions into {@code record}, for CLIENT LIST. */
    PubSubPolicy(ClientRecord record) {
        this.subscriptions = new Subscriptions(record);
    }

    /** A (P|S)SUBSCRIBE was read and its subscriptions have not all ended (a stale yes at worst, never a stale no). */
    private boolean subscribed;

    /** Whether the client may be subscribed: {@link ClientTracking} leaves its commands to the subscription then. */
    boolean subscribed() {
        return subscribed;
    }

    /** Subscribe messages still to come for the (P|S)SUBSCRIBE commands sent on the pinned connection. */
    private long pendingSubscribes;

    /**
     * The pinned command {@code name} (a CommandInfo name) with {@code arguments} arguments goes
     * to the pinned connection: a (P|S)UNSUBSCRIBE of that many channels (0: all), or a
     * (P|S)SUBSCRIBE of that many; other commands do not count.
     */
    void sending(String name, int arguments) {
        if (name.endsWith("unsubscribe")) {
            pendingUnsubscribes += Math.max(arguments, 1);
        } else if (name.endsWith("subscribe")) {
            pendingSubscribes += arguments;
            subscribed = true;
        }
    }

    /**
     * A command Redis 7.0 does not have gets its own error first (AS_USUAL), as Redis checks that
     * first. A RESP3 client may run any command while subscribed (its messages are pushes, told
     * apart from replies): what RESP2 refuses is handled as usual for it.
     */
    @Override
    public Route whilePinned(Command command) {
        CommandInfo info = command.detail() instanceof WatchedTransaction.Watched watched ? watched.info() // WATCH and the like, sent while subscribed
                : command.detail() instanceof CommandInfo plain ? plain : null;
        if (info == null) {
            return Route.AS_USUAL;
        }
        Route route = info.rules().whilePinned();
        // a RESP3 client may run any command while subscribed: what RESP2 refuses goes as usual
        return route == Route.REFUSE && Session.resp3(command.lane()) ? Route.AS_USUAL : route;
    }

    @Override
    public String refusal(Command command) {
        String name = command.detail() instanceof CommandInfo info ? info.name()
                : command.detail() instanceof WatchedTransaction.Watched watched ? watched.info().name() : command.name();
        return "Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET"
                + " are allowed in this context";
    }

    /**
     * RESET's reply, or the last awaited unsubscribe reply ({@code *3}, RESP3 {@code >3}, kind
     * {@code unsubscribe}, {@code punsubscribe} or {@code sunsubscribe}, then the channel) when it
     * counts no subscription left.
     */
    @Override
    public boolean endsPinning(ByteBuf message) {
        if (startsWith(message, 0, RESET_REPLY) && message.readableBytes() == RESET_REPLY.length) {
            pendingUnsubscribes = 0;
            pendingSubscribes = 0;
            subscribed = false;
            subscriptions.none();
            return true;
        }
        if (message.isReadable() && message.getByte(message.readerIndex()) == '-') {
            // a subscribe the server refused (NOPERM) answers one error instead of its messages
            pendingSubscribes = 0;
            return false;
        }
        Subscriptions.Kind kind = Subscriptions.kindOf(message);
        subscriptions.seen(message, kind);
        if (kind.subscribes()) {
            pendingSubscribes = Math.max(0, pendingSubscribes - 1);
            return false;
        }
        if (!kind.unsubscribes()) {
            return false;
        }
        pendingUnsubscribes = Math.max(0, pendingUnsubscribes - 1);
        int length = message.readableBytes();
        boolean ends = pendingUnsubscribes == 0 && pendingSubscribes == 0 && length >= 4 + NO_SUBSCRIPTION_LEFT.length
                && startsWith(message, length - NO_SUBSCRIPTION_LEFT.length, NO_SUBSCRIPTION_LEFT);
        subscribed &= !ends;
        return ends;
    }

    /**
     * A blocking command (its effect says so) is a conversation of one command, which it ends; a
     * WATCH starts one that EXEC, DISCARD, UNWATCH or RESET ends ({@link WatchedTransaction}), and
     * CLIENT TRACKING ON one that CLIENT TRACKING OFF or RESET ends ({@link ClientTracking}).
     */
    @Override
    public boolean conversation(Command first) {
        return first.detail() instanceof WatchedTransaction.Watched || blocking(first);
    }

    @Override
    public boolean endsConversation(Command command) {
        return command.detail() instanceof WatchedTransaction.Watched watched ? watched.ends() : blocking(command);
    }

    /** A RESP3 push ({@code >}): in a tracking conversation ({@link ClientTracking}), an {@code invalidate} message. */
    @Override
    public boolean unsolicited(ByteBuf message) {
        return message.isReadable() && message.getByte(message.readerIndex()) == '>';
    }

    private static boolean blocking(Command command) {
        return command.kind() == CommandKind.PINNED && command.detail() instanceof CommandInfo info
                && info.rules().effect().blocking();
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

    /** {@code CLIENT ID}: a blocked client's connection is named by it in another client's CLIENT UNBLOCK ({@link UnblockCommand}). */
    @Override
    public ByteBuf identify(ByteBufAllocator alloc) {
        return RespWriter.command(alloc, "CLIENT", "ID");
    }

    /** The integer of {@code :id}; -1 for anything else (an error: the connection cannot be acted on). */
    @Override
    public long identity(ByteBuf reply) {
        int start = reply.readerIndex();
        int cr = reply.indexOf(start, reply.writerIndex(), (byte) '\r');
        if (reply.getByte(start) != ':' || cr < 0) {
            return -1;
        }
        long id = RespSplitter.parseDecimal(reply, start + 1, cr);
        return id == Long.MIN_VALUE ? -1 : id;
    }
}
