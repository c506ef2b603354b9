package io.metacluster.spi;

import com.codahale.metrics.MetricRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.List;

/** What the engine offers a {@link ReadVerifier}. Thread-safe. */
public interface VerifyContext {
    /** The listener being verified. */
    String listener();

    /** The listener's protocol: its {@link Protocol#verification()} compares replies and builds repairs. */
    Protocol protocol();

    /**
     * The listener's clusters, in configuration order, as the calling event loop sees them
     * (health is per event loop); from another thread, as the first event loop sees them.
     */
    List<? extends ClusterView> clusters();

    /**
     * Runs {@code task} on the calling event loop after {@code delayMillis}. At shutdown the
     * returned future is cancelled instead of run (release what the task would have released
     * in a listener on it).
     *
     * @throws java.util.concurrent.RejectedExecutionException when the daemon is stopping
     * @throws IllegalStateException when not called on one of the listener's event loops
     */
    ScheduledFuture<?> schedule(Runnable task, long delayMillis);

    /** The daemon's metrics; verifiers register under {@code listener.<name>.verify.*}. */
    MetricRegistry metrics();

    /**
     * How many writes of keys that hash like {@code key} this daemon has sent to {@code cluster}
     * and not yet seen answered. Approximate in one direction only: 0 means no write of that
     * key is in flight; more than 0 means one may be. Lock-free, callable from any thread.
     */
    int writesInFlight(ClusterView cluster, ByteBuf key);

    /**
     * A counter that grows whenever a write of a key that hashes like {@code key} is sent to
     * {@code cluster}: two equal readings mean no such write started in between.
     */
    long writesStarted(ClusterView cluster, ByteBuf key);

    /**
     * Sends {@code command}'s frame to {@code cluster} as a read, outside any client session, and
     * reports the reply to {@code handler} on the calling event loop. Does not take over the
     * caller's reference to {@code command}, which must stay retained until the handler is called. Must be called on an event loop of this listener
     * (e.g. from {@link ReadVerifier#onRead}).
     */
    void send(ClusterView cluster, Command command, ReplyHandler handler);
}
