package com.example.latency;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadStrategy;
import org.pf4j.Extension;

import java.util.List;

/**
 * {@code read: { strategy: lowest-latency }}: the healthy cluster with the lowest measured p99
 * reply time ({@link ClusterView#latencyNanos()}), never a remote one while a local one is
 * healthy. Equal latencies go to the first in configuration order; a cluster not measured yet
 * counts as 0, so it is tried (writes go to every cluster, so every cluster is measured soon).
 *
 * <p>The selector is stateless: it runs on every event loop at once and allocates nothing.
 */
@Extension
public final class LowestLatencyReads implements ReadStrategy<NoConfig> {
    private static final ReadSelector SELECTOR = LowestLatencyReads::select;

    @Override
    public String name() {
        return "lowest-latency";
    }

    @Override
    public Class<NoConfig> configType() {
        return NoConfig.class;
    }

    @Override
    public ReadSelector create(NoConfig config) {
        return SELECTOR;
    }

    static ClusterView select(Command command, List<? extends ClusterView> candidates) {
        ClusterView best = null;
        for (int i = 0; i < candidates.size(); i++) {
            ClusterView cluster = candidates.get(i);
            if (cluster.healthy() && (best == null || better(cluster, best))) {
                best = cluster;
            }
        }
        return best;
    }

    private static boolean better(ClusterView cluster, ClusterView than) {
        if (cluster.local() != than.local()) {
            return cluster.local();
        }
        return cluster.latencyNanos() < than.latencyNanos();
    }
}
