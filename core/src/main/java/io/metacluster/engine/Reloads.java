package io.metacluster.engine;

import com.codahale.metrics.Counter;
import io.metacluster.config.ConfigException;
import io.metacluster.config.Plan;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Reloads the config file into the running engine, on {@code SIGHUP} and on the admin
 * endpoint's {@code POST /reload}: the file is read and validated as at start-up, then applied
 * ({@link Reconfiguration}). A refused file changes nothing. One reload at a time; one log line
 * each; counted in {@code reload.ok} and {@code reload.refused}.
 */
public final class Reloads implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reloads.class);

    /** Where the config comes from: the file, read and resolved as at start-up. */
    @FunctionalInterface
    public interface PlanSource {
        /** @throws ConfigException naming the file, line and field of what is wrong */
        Plan load() throws ConfigException;
    }

    /**
     * What a reload did.
     *
     * @param applied whether the new config runs now
     * @param changes what changed, one phrase each (empty when applied and nothing changed)
     * @param message for the operator: what changed, or why the file was refused
     */
    public record Outcome(boolean applied, List<String> changes, String message) {
    }

    private final Engine engine;
    private final PlanSource source;
    private final String file;
    private final Counter ok;
    private final Counter refused;
    /** SIGHUP is handled here, not on the JVM's signal thread. */
    private final ExecutorService signals = Executors.newSingleThreadExecutor(new DefaultThreadFactory("metacluster-reload", true));

    private Reloads(Engine engine, PlanSource source, String file) {
        this.engine = engine;
        this.source = source;
        this.file = file;
        this.ok = engine.metrics().counter("reload.ok");
        this.refused = engine.metrics().counter("reload.refused");
    }

    /**
     * Makes {@code engine} reloadable from {@code source} ({@code file} names it in log lines):
     * on {@code SIGHUP} and on {@code POST /reload}. Called by {@link Engine#start(Plan, PlanSource, String)}.
     */
    static Reloads install(Engine engine, PlanSource source, String file) {
        Reloads reloads = new Reloads(engine, source, file);
        engine.reloads = reloads;
        SignalHandler before = Signal.handle(new Signal("HUP"), signal -> {
            try {
                reloads.signals.execute(() -> reloads.reload("SIGHUP"));
            } catch (RejectedExecutionException stopping) {
                // the daemon is stopping: nothing to reload into
            }
        });
        if (before == SignalHandler.SIG_IGN) {
            // the JVM leaves a signal ignored at start (nohup) ignored, and says so only this way
            log.warn("SIGHUP is ignored by this process (started under nohup?): it will not reload the config;"
                    + " use POST /reload on the admin endpoint, or start the daemon without nohup");
        }
        return reloads;
    }

    /** Reloads the file now; {@code trigger} (e.g. {@code SIGHUP}) is named in the log line. */
    public Outcome reload(String trigger) {
        synchronized (engine) {
            long start = System.nanoTime();
            Plan next;
            try {
                next = source.load();
            } catch (ConfigException e) {
                return refused(trigger, e.getMessage());
            }
            List<String> changes;
            try {
                changes = Reconfiguration.apply(engine, next);
            } catch (Reconfiguration.Refused e) {
                return refused(trigger, file + ": " + e.getMessage());
            } catch (ConfigException e) {
                return refused(trigger, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return refused(trigger, "interrupted");
            } catch (RuntimeException e) {
                log.error("config reload ({}) failed while being applied", trigger, e);
                refused.inc();
                return new Outcome(false, List.of(), "failed while being applied: " + e);
            }
            ok.inc();
            String said = changes.isEmpty() ? "nothing changed" : String.join("; ", changes);
            log.info("config reloaded from {} ({}) in {} ms: {}", file, trigger,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), said);
            return new Outcome(true, changes, said);
        }
    }

    private Outcome refused(String trigger, String reason) {
        refused.inc();
        log.warn("config reload ({}) refused, the running config is kept: {}", trigger, reason);
        return new Outcome(false, List.of(), reason);
    }

    /** SIGHUP no longer reloads (at shutdown). */
    @Override
    public void close() {
        signals.shutdownNow();
    }
}
