package io.metacluster.engine;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Back-pressure and the output limit of one client connection. Reading from the client stops
 * while it has {@code max-pending-per-client} requests unanswered, while its replies pile up
 * unread (the channel is not writable), or while the listener drains at shutdown; it resumes
 * at half the limit. A client that leaves more than {@code max-output-bytes} of replies unread
 * is to be disconnected. Lives on the client's event loop.
 */
final class FlowControl {
    private static final Logger log = LoggerFactory.getLogger(FlowControl.class);

    private final Channel channel;
    private final Listener listener;

    FlowControl(Channel channel, Listener listener) {
        this.channel = channel;
        this.listener = listener;
    }

    /**
     * Stops or resumes reading from the client.
     *
     * @param pending its requests read and not yet answered
     * @param closing whether the connection is closing (reading never resumes then)
     */
    void update(int pending, boolean closing) {
        int max = listener.limits().maxPendingPerClient();
        boolean autoRead = channel.config().isAutoRead();
        if (autoRead && (pending >= max || !channel.isWritable() || listener.draining)) {
            if (pending >= max) listener.metrics().pendingLimitPauses.mark();
            channel.config().setAutoRead(false);
        } else if (!autoRead && !closing && !listener.draining && pending <= max / 2 && channel.isWritable()) {
            channel.config().setAutoRead(true);
        }
    }

    /** Whether the client left more than {@code max-output-bytes} of replies unread; said in the log and counted. */
    boolean overOutputLimit() {
        ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        long max = listener.limits().maxOutputBytes();
        if (outbound == null || outbound.totalPendingWriteBytes() <= max) {
            return false;
        }
        log.info("disconnecting client {} of listener {}: {} bytes of replies unread (max-output-bytes {})",
                ClientSession.address(channel), listener.name(), outbound.totalPendingWriteBytes(), max);
        listener.metrics().outputLimitDisconnects.mark();
        return true;
    }
}
