package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One monitoring connection's end of its listener's {@link MonitorFeed}. Lines come from every
 * event loop; they wait in a queue until a task on the monitor's own loop writes all that came,
 * as one buffer, out of line ({@link ReplyQueue#push}), so a busy listener costs the monitor one
 * write and one flush per pass rather than per request. What waits here and what the client left
 * unread count together against {@code max-output-bytes}: a monitor that does not keep up is
 * disconnected (as Redis's {@code client-output-buffer-limit} does), it never holds the daemon's
 * memory. Attached once the reply to MONITOR (and every earlier one) is written, so that no line
 * comes before it.
 */
final class MonitorOutlet {
    private static final Logger log = LoggerFactory.getLogger(MonitorOutlet.class);
    /** Most bytes one write carries, so that a monitor under a steady stream still lets its loop do other work. */
    private static final int BATCH = 256 * 1024;

    private final Listener listener;
    private final Channel channel;
    private final ReplyQueue replies;
    private final Queue<ByteBuf> lines = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private final Runnable drain = this::drain;
    /** Set on the monitor's loop: from then on lines are dropped, and what came is released. */
    private volatile boolean detached;
    private boolean attached;

    MonitorOutlet(Listener listener, Channel channel, ReplyQueue replies) {
        this.listener = listener;
        this.channel = channel;
        this.replies = replies;
    }

    /** Joins the listener's feed once every reply so far is written. Call on the monitor's loop after each answer. */
    void attachWhenAnswered() {
        if (!attached && !detached && replies.isEmpty()) {
            attached = true;
            listener.monitors.add(this);
        }
    }

    /** MONITOR ended (RESET) or the connection closed. Call on the monitor's loop. */
    void detach() {
        detached = true;
        listener.monitors.remove(this);
        releaseQueued();
    }

    /** A line for this monitor (retained here as needed, not taken over), from any event loop. */
    void offer(ByteBuf line) {
        if (detached || overflowed.get()) {
            return;
        }
        long queued = queuedBytes.addAndGet(line.readableBytes());
        long max = listener.limits().maxOutputBytes();
        long unread = queued + OutputBudget.unread(channel);
        if (unread > max) {
            overflow(unread, max);
            return;
        }
        lines.add(line.retainedDuplicate());
        if (detached) { // detach() may have emptied the queue just before the add
            releaseQueued();
            return;
        }
        if (scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drain);
        }
    }

    /** A line of at least {@code bytes} would not fit: disconnected as when it does not keep up. From any event loop. */
    void overflow(long bytes) {
        if (!detached) {
            overflow(bytes, listener.limits().maxOutputBytes());
        }
    }

    private void overflow(long unread, long max) {
        if (!overflowed.compareAndSet(false, true)) {
            return;
        }
        log.info("disconnecting monitoring client {} of listener {}: {} bytes of monitor lines unread (max-output-bytes {})",
                ClientSession.address(channel), listener.name(), unread, max);
        listener.metrics().outputLimitDisconnects.mark();
        channel.close();
    }

    /** On the monitor's loop: the queued lines, in one write of at most {@link #BATCH} bytes, then again if more came. */
    private void drain() {
        scheduled.set(false);
        if (detached) {
            releaseQueued();
            return;
        }
        ByteBuf out = null;
        ByteBuf line;
        while ((out == null || out.readableBytes() < BATCH) && (line = lines.poll()) != null) {
            int bytes = line.readableBytes();
            if (out == null) {
                out = channel.alloc().ioBuffer(Math.max(bytes, 256));
            }
            out.writeBytes(line);
            line.release();
            queuedBytes.addAndGet(-bytes);
        }
        if (out != null) {
            replies.push(out);
        }
        if (!lines.isEmpty() && scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drain);
        }
    }

    private void releaseQueued() {
        for (ByteBuf line; (line = lines.poll()) != null; ) {
            queuedBytes.addAndGet(-line.readableBytes());
            line.release();
        }
    }
}
