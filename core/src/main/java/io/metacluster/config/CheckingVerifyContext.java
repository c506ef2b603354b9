package io.metacluster.config;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.Metrics;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyHandler;
import io.metacluster.spi.VerifyContext;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * The {@link VerifyContext} a verify strategy's {@code create} gets while the config is checked
 * (at start and by {@code --check}), so that a strategy that cannot make its verifier is refused
 * with the config's line instead of failing the start. Nothing runs: the clusters are the
 * configured ones (none healthy), figures are counted nowhere, and what would reach a backend or
 * the event loops throws. The verifier made with it is dropped.
 */
record CheckingVerifyContext(String listener, Protocol protocol, List<? extends ClusterView> clusters) implements VerifyContext {
    private static final Metrics.Counter COUNTER = new Metrics.Counter() {
        @Override
        public void inc(long n) {
        }

        @Override
        public long count() {
            return 0;
        }
    };

    private static final Metrics METRICS = new Metrics() {
        @Override
        public Counter counter(String name) {
            return COUNTER;
        }

        @Override
        public Timer timer(String name) {
            return nanos -> { };
        }
    };

    @Override
    public void schedule(Runnable task, long delayMillis, Runnable onShutdown) {
        throw notRunning();
    }

    @Override
    public Metrics metrics() {
        return METRICS;
    }

    @Override
    public int writesInFlight(ClusterView cluster, ByteBuf key) {
        return 0;
    }

    @Override
    public long writesStarted(ClusterView cluster, ByteBuf key) {
        return 0;
    }

    @Override
    public void send(ClusterView cluster, Command command, ReplyHandler handler) {
        throw notRunning();
    }

    private static IllegalStateException notRunning() {
        return new IllegalStateException("the config is being checked: nothing runs yet (VerifyStrategy.create must only"
                + " build the verifier)");
    }
}
