package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Pinning;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * A client pinned to a backend connection of its own, for what a shared connection cannot carry
 * (Redis subscriptions; WATCH and blocking commands alike). The first {@link CommandKind#PINNED}
 * command enters the mode; the connection is opened once every earlier request of the client is
 * answered (so replies stay in order), and what came meanwhile waits for it. While pinned, the
 * protocol says what passes: {@link Pinning#whilePinned} forwards a command to the connection,
 * lets it be handled as usual, or refuses it with an error. Whatever the connection sends goes to
 * the client as it comes, until a message that {@link Pinning#endsPinning} ends the mode and the
 * connection is closed. Losing the connection while pinned closes the client, as the backend
 * state it held is gone. Lives on the client's event loop.
 */
final class PinnedMode implements PinnedListener {
    private static final Logger log = LoggerFactory.getLogger(PinnedMode.class);

    /** Opens the client's own connection for {@code first}; {@code null} when no cluster can take it now. */
    interface Opener {
        ChannelFuture open(Command first, PinnedListener listener);
    }

    private final ChannelHandlerContext ctx;
    private final ClientCodec codec;
    private final ReplyQueue replies;
    private final Opener opener;
    /** Told when the connection is up: the commands that waited for it no longer hold reading back. */
    private final Runnable whenReady;
    private boolean pinning;
    private boolean connectingPinned;
    private Channel pinned;
    private final ArrayDeque<Command> waitingForPin = new ArrayDeque<>();

    PinnedMode(ChannelHandlerContext ctx, ClientCodec codec, ReplyQueue replies, Opener opener, Runnable whenReady) {
        this.ctx = ctx;
        this.codec = codec;
        this.replies = replies;
        this.opener = opener;
        this.whenReady = whenReady;
    }

    /**
     * Takes {@code command} when the mode handles it: forwarded or refused while pinned, or a
     * {@link CommandKind#PINNED} command, which enters the mode. Returns false, having done
     * nothing, for a command to be routed as usual.
     */
    boolean offer(Command command) {
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
        toPinned(command);
        return true;
    }

    /** Whether the client is pinned (or about to be): its commands pass {@link #offer} first. */
    boolean active() {
        return pinning;
    }

    /** Commands read while the connection was being opened, still to be sent on it. */
    int waiting() {
        return waitingForPin.size();
    }

    /** A command for the pinned connection: sent now, or once the connection is up. */
    private void toPinned(Command command) {
        if (pinned != null) {
            pinned.write(command.frame(), pinned.voidPromise()); // the frame's reference goes with it
            FlushBatch.current().flush(pinned);
            return;
        }
        waitingForPin.add(command);
        pinWhenAnswered();
    }

    /** Opens the pinned connection once every earlier request is answered (their replies come first). */
    void pinWhenAnswered() {
        if (!pinning || pinned != null || connectingPinned || !replies.isEmpty() || waitingForPin.isEmpty()
                || replies.isClosed()) {
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
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            channel.write(command.frame(), channel.voidPromise());
        }
        FlushBatch.current().flush(channel);
        whenReady.run();
    }

    @Override
    public void pinnedMessage(Channel channel, ByteBuf message) {
        if (channel != pinned || replies.closing()) {
            message.release();
            return;
        }
        boolean ends = codec.pinning().endsPinning(message);
        replies.push(message);
        if (ends) {
            pinning = false;
            pinned = null;
            channel.close();
        }
    }

    @Override
    public void pinnedClosed(Channel channel) {
        if (replies.isClosed() || (channel != pinned && !connectingPinned)) {
            return;
        }
        boolean wasUp = pinned != null;
        pinned = null;
        connectingPinned = false;
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
            command.release();
            replies.answerNow(reply);
        }
    }

    /** The client connection closed: so does the pinned one, and what waited for it is dropped. */
    void clientClosed() {
        if (pinned != null) {
            pinned.close();
            pinned = null;
        }
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            command.release();
        }
    }

    @Override
    public String client() {
        return ClientSession.address(ctx.channel());
    }
}
