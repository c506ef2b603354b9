package io.metacluster.engine;

import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Back-pressure and the output limits of one client connection. Reading from the client stops
 * while it has {@code max-pending-per-client} requests unanswered, while its replies pile up
 * unread (the channel is not writable), while a client pause holds one of its commands
 * ({@link PauseHold}), or while the listener drains at shutdown; it resumes
 * at half the limit. A client that leaves more than {@code max-output-bytes} of replies unread
 * is to be disconnected; what it leaves unread counts in the listener's {@link OutputBudget}.
 * Lives on the client's event loop.
 */
final class FlowControl {
    private static final Logger log = LoggerFactory.getLogger(FlowControl.class);

    private final Channel channel;
    private final Listener listener;
    /** This client's unread bytes as last added to the listener's budget. */
    private long counted;

    FlowControl(Channel channel, Listener listener) {
        this.channel = channel;
        this.listener = listener;
    }

    /** {@link #update(int, boolean, boolean)} with nothing held by a client pause. */
    void update(int pending, boolean closing) {
        update(pending, closing, false);
    }

    /**
     * Stops or resumes reading from the client.
     *
     * @param pending its requests read and not yet answered
     * @param closing whether the connection is closing (reading never resumes then)
     * @param held    whether a client pause holds one of its commands (reading resumes after it)
     */
    void update(int pending, boolean closing, boolean held) {
        int max = listener.limits().maxPendingPerClient();
        boolean autoRead = channel.config().isAutoRead();
        if (autoRead && (pending >= max || !channel.isWritable() || listener.draining || held)) {
            if (pending >= max) listener.metrics().pendingLimitPauses.mark();
            channel.config().setAutoRead(false);
        } else if (!autoRead && !closing && !held && !listener.draining && pending <= max / 2 && channel.isWritable()) {
            channel.config().setAutoRead(true);
        }
    }

    /**
     * Whether the client left more than {@code max-output-bytes} of replies unread (said in the
     * log and counted). Brings the listener's {@link OutputBudget} up to date first, which may
     * disconnect the clients with the most unread output, this one among them.
     */
    boolean overOutputLimit() {
        long unread = recount();
        listener.output.enforce();
        long max = listener.limits().maxOutputBytes();
        if (unread <= max || !channel.isActive()) {
            return false;
        }
        log.info("disconnecting client {} of listener {}: {} bytes of replies unread (max-output-bytes {})",
                ClientSession.address(channel), listener.name(), unread, max);
        listener.metrics().outputLimitDisconnects.mark();
        return true;
    }

    /** The client read some of its replies, or closed: its share of the listener's budget follows. */
    long recount() {
        long unread = OutputBudget.unread(channel);
        listener.output.add(unread - counted);
        counted = unread;
        return unread;
    }
}
