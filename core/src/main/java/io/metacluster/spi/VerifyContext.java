package io.metacluster.spi;

import com.codahale.metrics.MetricRegistry;

import java.util.List;

/** What the engine offers a {@link ReadVerifier}. Thread-safe. */
public interface VerifyContext {
    /** The listener being verified. */
    String listener();

    /** The listener's clusters, in configuration order. */
    List<? extends ClusterView> clusters();

    /** The daemon's metrics; verifiers register under {@code listener.<name>.verify.*}. */
    MetricRegistry metrics();

    /**
     * Sends {@code command}'s frame to {@code cluster} as a read, outside any client session, and
     * reports the reply to {@code handler} on the calling event loop. Does not take over the
     * caller's reference to {@code command}. Must be called on an event loop of this listener
     * (e.g. from {@link ReadVerifier#onRead}).
     */
    void send(ClusterView cluster, Command command, ReplyHandler handler);
}
