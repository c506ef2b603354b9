package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Monitoring;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;

/**
 * The monitoring connections of one listener (Redis {@code MONITOR}) and what feeds them: each
 * request a client of the listener sends, as its codec's {@link Monitoring} describes it, goes to
 * every {@link MonitorOutlet}, whatever its event loop. The set is copied on change and read
 * through one volatile field, so a listener nobody monitors pays one volatile read per request.
 * Shared by every event loop.
 */
final class MonitorFeed {
    private static final MonitorOutlet[] NONE = {};

    private volatile MonitorOutlet[] outlets = NONE;

    /** Whether any connection monitors: only then is a request described at all. */
    boolean active() {
        return outlets.length != 0;
    }

    synchronized void add(MonitorOutlet outlet) {
        MonitorOutlet[] now = outlets;
        MonitorOutlet[] next = Arrays.copyOf(now, now.length + 1);
        next[now.length] = outlet;
        outlets = next;
    }

    synchronized void remove(MonitorOutlet outlet) {
        MonitorOutlet[] now = outlets;
        int at = Arrays.asList(now).indexOf(outlet);
        if (at < 0) {
            return;
        }
        MonitorOutlet[] next = new MonitorOutlet[now.length - 1];
        System.arraycopy(now, 0, next, 0, at);
        System.arraycopy(now, at + 1, next, at, now.length - at - 1);
        outlets = next;
    }

    /** {@code command}, just read by {@code sender} (on its event loop), to every monitor. */
    void feed(ClientSession sender, Command command) {
        MonitorOutlet[] targets = outlets;
        Monitoring monitoring = sender.codec().monitoring();
        if (targets.length == 0 || monitoring == null) {
            return;
        }
        long size = command.frame().readableBytes();
        if (size > sender.listener().limits().maxOutputBytes() && command.kind() != CommandKind.UNSUPPORTED) {
            // its line, which quotes every argument, would put every monitor over its limit: not made at all, so a
            // monitored 60 MB value does not cost the daemon a line several times that size (a refused request is
            // never shown, so it disconnects nobody)
            for (MonitorOutlet target : targets) {
                target.overflow(size);
            }
            return;
        }
        ByteBuf line = monitoring.describe(command, sender);
        if (line == null) {
            return;
        }
        try {
            for (MonitorOutlet target : targets) {
                target.offer(line);
            }
        } finally {
            line.release();
        }
    }
}
