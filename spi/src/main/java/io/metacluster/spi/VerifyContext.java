package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
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
     * Runs {@code task} on the calling event loop after {@code delayMillis}. Exactly one of
     * {@code task} and {@code onShutdown} runs: when the daemon stops before the delay is over (or
     * is already stopping at this call), {@code onShutdown} runs instead, so that it can release
     * what the task would have released. {@code onShutdown} may run on this thread before this
     * method returns, or on an engine thread.
     *
     * @throws IllegalStateException when not called on one of the listener's event loops
     */
    void schedule(Runnable task, long delayMillis, Runnable onShutdown);

    /** Where the verifier counts what it does, scoped to {@code listener.<name>.verify}. */
    Metrics metrics();

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

    /**
     * Runs {@code task} on one of the listener's event loops, soon (where {@link #send} may be
     * called). Callable from any thread; a task given while the daemon stops may never run.
     *
     * @since SPI 0.2.2
     */
    default void execute(Runnable task) {
        throw new UnsupportedOperationException("this engine runs no tasks for verifiers");
    }

    /**
     * Whether {@link #walkKeys} can list {@code cluster}'s keys: its protocol can walk a node
     * ({@link NodeSync#walk}).
     *
     * @since SPI 0.2.2
     */
    default boolean canWalkKeys(ClusterView cluster) {
        return false;
    }

    /**
     * Lists every key of {@code cluster}, node after node, each over a connection of its own
     * (see {@link NodeSync#walk} for what a walk sees), blocking the calling thread, which must
     * not be an event loop, until the walk is over. Keys are those of the configured database
     * (lane 0).
     *
     * @throws IOException          when a node cannot be reached or breaks off the walk
     * @throws InterruptedException when stopped (also when the daemon stops)
     * @since SPI 0.2.2
     */
    default void walkKeys(ClusterView cluster, NodeSync.KeyBatches batches) throws IOException, InterruptedException {
        throw new UnsupportedOperationException("this engine cannot walk a cluster's keys");
    }
}
