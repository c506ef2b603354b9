package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A protocol's rules for a client pinned to a backend connection of its own
 * ({@link CommandKind#PINNED}): which of the client's commands go to that connection while it is
 * pinned, and what ends the pinned mode. A mode is one of two sorts, chosen by its first command:
 * <ul>
 *   <li>a <em>subscription</em> (Redis pub/sub): the connection sends messages nobody asked for;
 *       each goes to the client as it comes, and a message that {@link #endsPinning} ends it;</li>
 *   <li>a <em>conversation</em> ({@link #conversation}: Redis WATCH ... EXEC, a blocking command):
 *       the connection answers each command sent on it with exactly one reply. The engine sends
 *       it the client's {@link CommandKind#PINNED} commands and routes the others as usual; each
 *       reply takes its place among the client's replies, in request order, and is given to
 *       {@link ConditionalWrites#propagation}, whose write (if any) goes to every other cluster,
 *       as a conditional write's does. The mode ends after the reply to a command that
 *       {@link #endsConversation} names: the connection is closed, and the commands the client
 *       sent after that one, held until then, are routed as usual (so the propagation reaches the
 *       other clusters before them). A message that {@link #unsolicited} names is no reply: it
 *       goes to the client in line, as a subscription's would.</li>
 * </ul>
 *
 * <p>Handed out by {@link ClientCodec#pinning()}; only asked while the client is pinned, i.e.
 * after a {@link CommandKind#PINNED} command and until {@link #endsPinning} said so.
 * <b>Threads:</b> called on the client connection's event loop, must not block; an
 * implementation without state may be shared by every connection.
 */
public interface Pinning {

    /** What becomes of a client's command while it is pinned. */
    enum Route {
        /** Sent on the pinned connection; its replies come back with the connection's other messages. */
        FORWARD,
        /** Handled as it would be unpinned (e.g. QUIT, answered by the proxy, or an unknown command's own error). */
        AS_USUAL,
        /** Not allowed in this mode: answered with {@link #refusal}'s error, never sent. */
        REFUSE
    }

    /** Where {@code command} goes while the client is pinned. {@code command} is borrowed. */
    Route whilePinned(Command command);

    /**
     * The error text a {@link Route#REFUSE}d command is answered with (through
     * {@link ClientCodec#error}). {@code command} is borrowed.
     */
    String refusal(Command command);

    /**
     * Whether {@code message}, one complete message from the pinned backend connection (framed by
     * {@link BackendCodec#replyLength} with no request), ends the pinned mode (Redis: the reply
     * that leaves no subscription, or RESET's). After it is written to the client, the engine
     * closes the pinned connection and routes the client's requests as usual again. The message
     * is borrowed: neither retained nor released here, and its indexes are left as they are.
     */
    boolean endsPinning(ByteBuf message);

    /**
     * Whether the mode that {@code first} (a {@link CommandKind#PINNED} command that starts one)
     * enters is a conversation (see above) rather than a subscription. {@code command} is borrowed.
     */
    default boolean conversation(Command first) {
        return false;
    }

    /**
     * In a conversation: whether the reply to {@code command} ends it (Redis: EXEC, DISCARD,
     * UNWATCH; a blocking command ends the conversation it started). {@code command} is borrowed.
     */
    default boolean endsConversation(Command command) {
        return false;
    }

    /**
     * In a conversation: whether {@code message}, one complete message from the pinned connection,
     * is one the server sent on its own rather than the reply to a command (Redis: a RESP3 push,
     * such as client-side caching's {@code invalidate}). It is not matched to a command: it goes
     * to the client behind the replies already in line, never ahead of a reply that came before it
     * on the connection. Borrowed, as in {@link #endsPinning}.
     */
    default boolean unsolicited(ByteBuf message) {
        return false;
    }

    /**
     * In a conversation: a request the engine sends first on the new connection, whose one reply
     * names that connection on the server (Redis {@code CLIENT ID}), so that another client can
     * act on it ({@link PeerAside}); {@code null} (the default) for none. Its reply is read by
     * {@link #identity} and never reaches the client. Ownership of the buffer passes to the caller.
     */
    default ByteBuf identify(ByteBufAllocator alloc) {
        return null;
    }

    /** The number {@link #identify}'s reply names, or -1 when it names none. {@code reply} is borrowed. */
    default long identity(ByteBuf reply) {
        return -1;
    }
}
