package io.metacluster.engine;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The replies all clients of a listener leave unread, against {@code max-total-output-bytes}.
 * Each client's {@link FlowControl} adds the change of its own unread bytes; when the total goes
 * over, the clients with the most unread output are disconnected until the rest fits, as Redis's
 * {@code client-output-buffer-limit} does: a few clients that never read must not take the
 * daemon's memory from everyone. Shared by every event loop; the scan over the clients runs only
 * while the total is over.
 */
final class OutputBudget {
    private static final Logger log = LoggerFactory.getLogger(OutputBudget.class);
    /** Set on a client chosen to be disconnected, until its event loop closes it. */
    private static final AttributeKey<Boolean> SHED = AttributeKey.valueOf("metacluster.shed");

    private final Listener listener;
    private final AtomicLong total = new AtomicLong();
    private final AtomicBoolean shedding = new AtomicBoolean();

    OutputBudget(Listener listener) {
        this.listener = listener;
    }

    /** A client's unread output changed by {@code delta} bytes. */
    void add(long delta) {
        if (delta != 0) {
            total.addAndGet(delta);
        }
    }

    long total() {
        return total.get();
    }

    /** Disconnects the clients with the most unread output while all of it is over the budget. */
    void enforce() {
        long max = listener.limits().maxTotalOutputBytes();
        if (total.get() <= max || !shedding.compareAndSet(false, true)) {
            return;
        }
        try {
            // the running total lags the clients being closed: count again, precisely
            List<Channel> clients = new ArrayList<>();
            long unread = 0;
            for (Channel client : listener.clientChannels) {
                long bytes = unread(client);
                if (bytes > 0 && !client.hasAttr(SHED)) {
                    clients.add(client);
                    unread += bytes;
                }
            }
            if (unread <= max) {
                return;
            }
            clients.sort(Comparator.comparingLong(OutputBudget::unread).reversed());
            for (Channel client : clients) {
                if (unread <= max) {
                    break;
                }
                long bytes = unread(client);
                client.attr(SHED).set(Boolean.TRUE);
                log.info("disconnecting client {} of listener {}: {} bytes of replies unread, the most of any client,"
                                + " while its clients leave {} unread (max-total-output-bytes {})",
                        ClientSession.address(client), listener.name(), bytes, unread, max);
                listener.metrics().outputLimitDisconnects.mark();
                client.close();
                unread -= bytes;
            }
        } finally {
            shedding.set(false);
        }
    }

    /** The bytes written to {@code client} and not yet taken by it; 0 once it closed. */
    static long unread(Channel client) {
        ChannelOutboundBuffer outbound = client.unsafe().outboundBuffer();
        return outbound == null ? 0 : outbound.totalPendingWriteBytes();
    }
}
