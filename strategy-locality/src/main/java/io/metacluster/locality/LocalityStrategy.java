package io.metacluster.locality;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadStrategy;
import org.pf4j.Extension;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code read: { strategy: locality }}: a healthy {@code local: true} cluster, random among
 * equals; when none is healthy, a random healthy remote one; {@code null} when nothing is up.
 */
@Extension
public final class LocalityStrategy implements ReadStrategy<NoConfig> {

    static final ReadSelector SELECTOR = LocalityStrategy::select;

    @Override
    public String name() {
        return "locality";
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
        ClusterView local = pick(candidates, true);
        return local != null ? local : pick(candidates, false);
    }

    /** A uniformly random healthy candidate with the given locality, without allocating. */
    private static ClusterView pick(List<? extends ClusterView> candidates, boolean local) {
        int size = candidates.size();
        int matching = 0;
        for (int i = 0; i < size; i++) {
            ClusterView cluster = candidates.get(i);
            if (cluster.local() == local && cluster.healthy()) {
                matching++;
            }
        }
        if (matching == 0) {
            return null;
        }
        int chosen = matching == 1 ? 0 : ThreadLocalRandom.current().nextInt(matching);
        for (int i = 0; i < size; i++) {
            ClusterView cluster = candidates.get(i);
            if (cluster.local() == local && cluster.healthy() && chosen-- == 0) {
                return cluster;
            }
        }
        return null; // health changed between the two passes
    }
}
