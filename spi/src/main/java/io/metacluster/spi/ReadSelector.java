package io.metacluster.spi;

import java.util.List;

/**
 * Picks the cluster that serves one read.
 *
 * <p>Called on a client connection's event loop for every {@link CommandKind#READ}; must not
 * block and should not allocate. Instances are shared by all event loops of a listener, so
 * they must be thread-safe (use {@code ThreadLocalRandom}, not a shared {@code Random}).
 */
public interface ReadSelector {

    /**
     * @param command    the read (its name and keys may be looked at; do not retain it)
     * @param candidates the clusters that may serve it, in configuration order; some may be unhealthy
     * @return one of {@code candidates}, or {@code null} when none can serve the read; the client
     *         then gets an error saying that no cluster is available
     */
    ClusterView select(Command command, List<? extends ClusterView> candidates);
}
