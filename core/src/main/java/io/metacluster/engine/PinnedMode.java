package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.Pinning;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A client pinned to a backend connection of its own, for what a shared connection cannot carry
 * (Redis subscriptions, WATCH, blocking commands, CLIENT TRACKING). The first
 * {@link CommandKind#PINNED} command enters the mode; the connection is opened once every earlier
 * request of the client is answered (so replies stay in order and its earlier writes reached that
 * cluster first), and what came meanwhile waits for it. The mode is a subscription or a conversation ({@link Pinning}):
 * <ul>
 *   <li>subscription: {@link Pinning#whilePinned} forwards a command to the connection, lets it be
 *       handled as usual, or refuses it; whatever the connection sends goes to the client as it
 *       comes, until a message that {@link Pinning#endsPinning} ends the mode;</li>
 *   <li>conversation: the client's PINNED commands go to the connection, each with its
 *       {@link PinnedReply} in the client's line of replies; each reply's propagation goes to the
 *       other clusters; a message the server sends unasked ({@link Pinning#unsolicited}: Redis
 *       client-side caching's invalidations) joins the line as an answered request; after the
 *       reply to the command that ends it, the commands held behind that one are routed as usual.</li>
 * </ul>
 * Either way the connection is then closed. Losing it while pinned closes the client, as the
 * backend state it held is gone. A conversation's command on keys the connection's node does not
 * hold (another node of a sharded cluster) is refused. Lives on the client's event loop.
 */
final class PinnedMode implements PinnedListener {
    private static final Logger log = LoggerFactory.getLogger(PinnedMode.class);

    /** A conversation's command, waiting in the client's line for its reply from the pinned connection. */
    private static final class PinnedReply extends Slot {
        final Command command;
        final boolean ends;

        PinnedReply(Command command, boolean ends) {
            this.command = command;
            this.ends = ends;
        }
    }

    private final ChannelHandlerContext ctx;
    private final ClientCodec codec;
    private final ReplyQueue replies;
    private final PinnedOpener opener;
    /** Told when the connection is up: the commands that waited for it no longer hold reading back. */
    private final Runnable whenReady;
    private final PinnedSession session;
    private boolean pinning;
    private boolean conversation;
    /** In a conversation: the command that ends it was sent; what the client sends now is held. */
    private boolean ending;
    /** A reply's propagation is still on its way to some cluster: what the client sends now is held. */
    private int propagating;
    private boolean connectingPinned;
    /** The reply to {@link Pinning#identify}, sent first on a conversation's connection, is still to come. */
    private boolean identifying;
    private Channel pinned;
    /**
     * In a conversation: its connection answered the first command where it belongs (not a
     * redirection). Until then only that command is sent: a redirected one ran nowhere, so it is
     * sent again on a connection to the right node, and nothing sent behind it may have run.
     */
    private boolean confirmed;
    /** A connection left for a redirection: its closing is not the client's loss. */
    private Channel retired;
    /** To send before the first command on the next connection (Redis ASKING), its reply dropped. */
    private byte[] firstOnNext;
    private int repliesToDrop;
    private RedirectFollower.Budget redirectBudget = new RedirectFollower.Budget();
    private final ArrayDeque<Command> waitingForPin = new ArrayDeque<>();
    /** A conversation's commands sent (or to be sent), oldest first: the pinned connection answers them in order. */
    private final ArrayDeque<PinnedReply> unanswered = new ArrayDeque<>();
    private final ArrayDeque<Command> held = new ArrayDeque<>();

    PinnedMode(ChannelHandlerContext ctx, ClientCodec codec, ReplyQueue replies, PinnedOpener opener, Runnable whenReady) {
        this(ctx, codec, replies, opener, whenReady, null);
    }

    PinnedMode(ChannelHandlerContext ctx, ClientCodec codec, ReplyQueue replies, PinnedOpener opener, Runnable whenReady,
               PinnedSession session) {
        this.ctx = ctx;
        this.codec = codec;
        this.replies = replies;
        this.opener = opener;
        this.whenReady = whenReady;
        this.session = session;
    }

    /**
     * Takes {@code command} when the mode handles it: forwarded, held or refused while pinned, or a
     * {@link CommandKind#PINNED} command, which enters the mode. Returns false, having done
     * nothing, for a command to be routed as usual.
     */
    boolean offer(Command command) {
        if (propagating > 0) {
            held.add(command);
            return true;
        }
        if (pinning && conversation) {
            if (ending) {
                held.add(command);
                return true;
            }
            if (command.kind() != CommandKind.PINNED) {
                return false;
            }
            converse(command);
            return true;
        }
        if (pinning) {
            Pinning.Route route = codec.pinning().whilePinned(command);
            if (route == Pinning.Route.FORWARD) {
                toPinned(command);
                return true;
            }
            if (route == Pinning.Route.REFUSE) {
                ByteBuf reply = codec.error(ctx.alloc(), command, codec.pinning().refusal(command));
                command.release();
                replies.answerNow(reply);
                return true;
            }
        }
        if (command.kind() != CommandKind.PINNED) {
            return false;
        }
        pinning = true;
        conversation = session != null && codec.pinning().conversation(command);
        if (conversation) {
            converse(command);
        } else {
            toPinned(command);
        }
        return true;
    }

    /** A conversation's command: in line for its reply, and sent (the command is kept for its propagation). */
    private void converse(Command command) {
        if (pinned != null && !opener.reaches(command)) {
            ByteBuf reply = codec.error(ctx.alloc(), command, elsewhere(command));
            command.release();
            replies.answerNow(reply);
            return;
        }
        PinnedReply slot = new PinnedReply(command, codec.pinning().endsConversation(command));
        ending = slot.ends;
        replies.add(slot);
        unanswered.add(slot);
        toPinned(command);
    }

    /** Whether the client is pinned (or about to be): its commands pass {@link #offer} first. */
    boolean active() {
        return pinning;
    }

    /** Commands read while the connection was being opened or a conversation was ending, still to be sent. */
    int waiting() {
        return waitingForPin.size() + held.size();
    }

    /** A command for the pinned connection: sent now, or once the connection is up. */
    private void toPinned(Command command) {
        if (pinned != null && (confirmed || !conversation)) {
            pinned.write(frameToSend(command), pinned.voidPromise());
            FlushBatch.current().flush(pinned);
            return;
        }
        waitingForPin.add(command);
        pinWhenAnswered();
    }

    /** The frame's reference goes with it, except in a conversation, which keeps its commands until their replies. */
    private ByteBuf frameToSend(Command command) {
        return conversation ? command.frame().retainedDuplicate() : command.frame();
    }

    /** Opens the pinned connection once every earlier request is answered (their replies come first). */
    void pinWhenAnswered() {
        if (!pinning || pinned != null || connectingPinned || waitingForPin.isEmpty() || replies.isClosed()
                || !(conversation ? replies.isNext(unanswered.peek()) : replies.isEmpty())) {
            return;
        }
        Command first = waitingForPin.peek();
        connectingPinned = true;
        ChannelFuture connecting = opener.open(first, this);
        if (connecting == null) {
            connectingPinned = false;
            failPinning("no cluster can serve " + first.name() + " now: no cluster is up");
            return;
        }
        connecting.addListener(future -> {
            if (!future.isSuccess()) {
                pinnedClosed(((ChannelFuture) future).channel());
            }
        });
    }

    @Override
    public void pinnedReady(Channel channel) {
        if (replies.isClosed() || !connectingPinned) {
            channel.close();
            return;
        }
        connectingPinned = false;
        pinned = channel;
        ByteBuf identify = conversation && session != null ? codec.pinning().identify(channel.alloc()) : null;
        if (identify != null) {
            identifying = true;
            session.identifying();
            channel.write(identify, channel.voidPromise());
        }
        if (firstOnNext != null) {
            channel.write(Unpooled.wrappedBuffer(firstOnNext), channel.voidPromise());
            firstOnNext = null;
            repliesToDrop = 1;
        }
        confirmed |= !opener.redirects();
        if (conversation && !confirmed) {
            channel.write(frameToSend(waitingForPin.poll()), channel.voidPromise());
        } else {
            sendWaiting(channel);
        }
        FlushBatch.current().flush(channel);
        whenReady.run();
    }

    /** A conversation's command that waited for the connection, which does not reach its keys' node: answered now. */
    private void refuseWaiting(Command command) {
        for (PinnedReply slot : unanswered) {
            if (slot.command == command) {
                unanswered.remove(slot);
                replies.answer(slot, codec.error(ctx.alloc(), command, elsewhere(command)));
                command.release();
                return;
            }
        }
    }

    private static String elsewhere(Command command) {
        return command.name() + " is refused by metacluster: its keys are on another node of the sharded read cluster"
                + " than the one this client's own backend connection reaches (WATCH, CLIENT TRACKING)";
    }

    private void sendWaiting(Channel channel) {
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            if (conversation && !opener.reaches(command)) {
                refuseWaiting(command);
            } else {
                channel.write(frameToSend(command), channel.voidPromise());
            }
        }
    }

    @Override
    public void pinnedMessage(Channel channel, ByteBuf message) {
        if (channel != pinned || replies.closing()) {
            message.release();
            return;
        }
        if (identifying) {
            identifying = false;
            session.identified(codec.pinning().identity(message));
            message.release();
            return;
        }
        if (conversation) {
            if (codec.pinning().unsolicited(message)) {
                // behind the replies already in line: a read answered before an invalidation must reach the client first
                replies.answerNow(message);
            } else {
                answered(message);
            }
            return;
        }
        boolean ends = codec.pinning().endsPinning(message);
        replies.push(message);
        if (ends) {
            endPinning();
        }
    }

    /** A conversation's reply: its propagation goes to the other clusters, the reply to the client in its turn. */
    private void answered(ByteBuf message) {
        if (!confirmed && repliesToDrop > 0) {
            repliesToDrop--;
            message.release();
            return;
        }
        if (!confirmed) {
            Topology.Redirect redirect = unanswered.isEmpty() ? null : opener.redirect(message);
            if (redirect != null && redirectBudget.allows(redirect)) {
                message.release();
                repin(redirect);
                return;
            }
            confirmed = true;
            sendWaiting(pinned);
            FlushBatch.current().flush(pinned);
        }
        PinnedReply slot = unanswered.poll();
        if (slot == null) { // a conversation's connection says nothing unasked: it is not one any more
            message.release();
            log.debug("closing client {}: its pinned backend connection sent a message nobody asked for", client());
            replies.close();
            return;
        }
        ConditionalWrites writes = codec.conditionalWrites();
        Command effect = writes == null ? null : writes.propagation(slot.command, message, ctx.alloc());
        if (effect != null) {
            propagating++;
            // the client's later commands must reach every cluster after the propagation
            session.propagate(effect, () -> {
                propagating--;
                if (propagating == 0 && !replies.isClosed()) {
                    rerouteHeld(); // what is still to be held (a conversation's end not answered yet) is held again
                }
            });
        }
        slot.command.release();
        replies.answer(slot, message);
        if (slot.ends) {
            endPinning();
            if (propagating == 0) {
                rerouteHeld();
            }
        }
    }

    /**
     * The conversation's first command was redirected (it ran nowhere, and nothing was sent behind
     * it): the same command on a new connection to where the redirection says, now or after its delay.
     */
    private void repin(Topology.Redirect redirect) {
        retired = pinned;
        pinned = null;
        retired.close();
        connectingPinned = true;
        firstOnNext = redirect.first();
        waitingForPin.addFirst(unanswered.peek().command);
        if (redirect.delayMillis() > 0) {
            ctx.executor().schedule(() -> reopen(redirect.node()), redirect.delayMillis(), TimeUnit.MILLISECONDS);
        } else {
            reopen(redirect.node());
        }
    }

    private void reopen(int node) {
        if (replies.isClosed() || !connectingPinned || waitingForPin.isEmpty()) {
            return;
        }
        ChannelFuture connecting = opener.reopen(waitingForPin.peek(), node, this);
        if (connecting == null) {
            connectingPinned = false;
            failPinning("no cluster can serve " + waitingForPin.peek().name() + " now: its node is not connected");
            return;
        }
        connecting.addListener(future -> {
            if (!future.isSuccess()) {
                pinnedClosed(((ChannelFuture) future).channel());
            }
        });
    }

    private void endPinning() {
        forgetIdentity();
        pinning = false;
        conversation = false;
        ending = false;
        confirmed = false;
        redirectBudget = new RedirectFollower.Budget();
        Channel channel = pinned;
        pinned = null;
        channel.close();
    }

    /** What the client sent after a conversation's last command, routed now that its effects went out. */
    private void rerouteHeld() {
        if (held.isEmpty()) {
            return;
        }
        ArrayDeque<Command> commands = new ArrayDeque<>(held);
        held.clear();
        for (Command command; (command = commands.poll()) != null; ) {
            session.reroute(command); // may start another conversation, which holds the rest again, in order
        }
    }

    @Override
    public void pinnedClosed(Channel channel) {
        if (replies.isClosed() || channel == retired || (channel != pinned && !connectingPinned)) {
            return;
        }
        boolean wasUp = pinned != null;
        pinned = null;
        connectingPinned = false;
        forgetIdentity();
        if (wasUp && pinning) {
            // what the client set up on that connection (subscriptions, a WATCH) is gone with it: it must see a lost
            // connection, as when a server goes away, and set it up again
            log.debug("closing client {}: its pinned backend connection closed", client());
            replies.close();
        } else if (pinning) {
            failPinning("no cluster can serve " + (waitingForPin.isEmpty() ? "it" : waitingForPin.peek().name())
                    + " now: the backend connection could not be opened");
        }
    }

    /** Nothing reached a pinned connection yet: its commands are answered with {@code reason}, and pinning ends. */
    private void failPinning(String reason) {
        pinning = false;
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            ByteBuf reply = codec.error(ctx.alloc(), command, reason);
            if (conversation) {
                replies.answer(unanswered.poll(), reply);
            } else {
                replies.answerNow(reply);
            }
            command.release();
        }
        conversation = false;
        ending = false;
        confirmed = false;
        firstOnNext = null;
        redirectBudget = new RedirectFollower.Budget();
        rerouteHeld();
    }

    /** The client connection closed: so does the pinned one, and what waited for it is dropped. */
    void clientClosed() {
        forgetIdentity();
        if (pinned != null) {
            pinned.close();
            pinned = null;
        }
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            if (!conversation) {
                command.release();
            }
        }
        for (PinnedReply slot; (slot = unanswered.poll()) != null; ) {
            slot.command.release();
        }
        for (Command command; (command = held.poll()) != null; ) {
            command.release();
        }
    }

    private void forgetIdentity() {
        identifying = false;
        if (session != null) {
            session.identified(-1);
        }
    }

    @Override
    public String client() {
        return ClientSession.address(ctx.channel());
    }
}
