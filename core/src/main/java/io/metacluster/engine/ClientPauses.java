package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A listener's client pause (Redis {@code CLIENT PAUSE}, see
 * {@link io.metacluster.spi.ClientContext#pauseClients}): until when, and whether it holds every
 * command or only writes. Set by any client's event loop, asked by every one's: the pause is
 * one volatile field, so that a client asks nothing more than one read while no pause is on.
 * A client whose command is held leaves a wake-up, run (it posts to the client's own loop) when
 * the pause ends, by {@code CLIENT UNPAUSE} or at its end time; deciding to hold and leaving the
 * wake-up happen under one lock with the ending, so no held client is forgotten.
 */
final class ClientPauses {
    private static final Logger log = LoggerFactory.getLogger(ClientPauses.class);

    /** A pause: its end on the {@link System#currentTimeMillis} clock, and whether it holds every command. */
    private record Pause(long endMillis, boolean all) {
        boolean over(long nowMillis) {
            return endMillis < nowMillis; // as Redis: still paused at the end millisecond itself
        }
    }

    private final String listener;
    private volatile Pause pause;
    /** Wake-ups of the clients whose command is held; guarded by this. */
    private final Set<Runnable> waiting = new LinkedHashSet<>();

    ClientPauses(String listener) {
        this.listener = listener;
    }

    /**
     * Pauses (or extends the pause) until {@code endMillis}: the later end and the stronger mode
     * win, as Redis 7.0's {@code pauseClients} does. {@code timer} wakes the held clients at the end.
     */
    void pause(long endMillis, boolean writesOnly, long byClient, EventExecutor timer) {
        long now = System.currentTimeMillis();
        Pause started;
        synchronized (this) {
            Pause was = current(now);
            started = was == null ? new Pause(endMillis, !writesOnly)
                    : new Pause(Math.max(was.endMillis, endMillis), was.all || !writesOnly);
            if (started.over(now)) {
                return; // a zero timeout, or one so large that Redis's end time wraps around: no pause, as there
            }
            if (started.equals(was)) {
                return; // its timer is set already
            }
            pause = started;
            if (was == null) {
                log.info("listener {}: client {} paused {} clients' commands for {} ms", listener, byClient,
                        started.all ? "all" : "the write", started.endMillis - now);
            }
        }
        scheduleEnd(started, timer);
    }

    /** Ends the pause now ({@code CLIENT UNPAUSE}); held commands go on. */
    void unpause(long byClient) {
        List<Runnable> wake;
        synchronized (this) {
            if (current(System.currentTimeMillis()) == null) {
                pause = null;
                return;
            }
            log.info("listener {}: client {} ended the pause of clients' commands", listener, byClient);
            wake = endLocked();
        }
        wake.forEach(Runnable::run);
    }

    /**
     * Whether the pause on now holds {@code command} of a client whose codec is {@code codec}; if
     * so, {@code wake} runs once when it ends. Commands refused at once are never held, as Redis
     * answers its own refusals (unknown command, wrong arity) before it checks for a pause.
     */
    boolean holds(Command command, ClientCodec codec, Runnable wake) {
        if (pause == null || command.kind() == CommandKind.UNSUPPORTED) {
            return false;
        }
        synchronized (this) {
            Pause now = current(System.currentTimeMillis());
            if (now == null || (!now.all && !codec.heldByWritePause(command))) {
                return false;
            }
            waiting.add(wake);
            return true;
        }
    }

    /** A client that left with a held command: it needs no wake-up. */
    synchronized void forget(Runnable wake) {
        waiting.remove(wake);
    }

    private Pause current(long nowMillis) {
        Pause now = pause;
        return now == null || now.over(nowMillis) ? null : now;
    }

    private void scheduleEnd(Pause scheduled, EventExecutor timer) {
        long delay = Math.max(0, scheduled.endMillis - System.currentTimeMillis() + 1);
        timer.schedule(() -> ended(scheduled, timer), delay, TimeUnit.MILLISECONDS);
    }

    /** {@code scheduled}'s end time came: the pause ends, unless it was extended (its own timer runs later) or lifted. */
    private void ended(Pause scheduled, EventExecutor timer) {
        List<Runnable> wake;
        synchronized (this) {
            if (pause != scheduled) {
                return;
            }
            if (!scheduled.over(System.currentTimeMillis())) {
                scheduleEnd(scheduled, timer); // the clock read early
                return;
            }
            log.info("listener {}: the pause of clients' commands ended", listener);
            wake = endLocked();
        }
        wake.forEach(Runnable::run);
    }

    private List<Runnable> endLocked() {
        pause = null;
        List<Runnable> wake = new ArrayList<>(waiting);
        waiting.clear();
        return wake;
    }
}
