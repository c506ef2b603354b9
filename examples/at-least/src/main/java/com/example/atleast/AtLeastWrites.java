package com.example.atleast;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.InvalidConfigException;
import io.metacluster.spi.WritePolicy;
import io.metacluster.spi.WritePolicyFactory;
import io.metacluster.spi.WriteTally;
import org.pf4j.Extension;

import java.util.List;

/**
 * {@code write: { policy: at-least, clusters: N }}: a write is answered once N clusters took it,
 * and fails as soon as fewer than N still can. The write still goes to every cluster.
 */
@Extension
public final class AtLeastWrites implements WritePolicyFactory<AtLeastWrites.Config> {

    /**
     * @param clusters how many clusters must succeed; 2 when left out of the YAML (a record
     *                 component the block does not set arrives as 0, so the default is given here)
     */
    public record Config(int clusters) {
        public Config {
            if (clusters == 0) {
                clusters = 2;
            }
            if (clusters < 0) {
                throw new IllegalArgumentException("clusters must be 1 or more, got " + clusters);
            }
        }
    }

    @Override
    public String name() {
        return "at-least";
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    /** Needs the listener's clusters: N cannot exceed how many there are. */
    @Override
    public void validate(Config config, List<? extends ClusterView> clusters) throws InvalidConfigException {
        if (config.clusters() > clusters.size()) {
            throw new InvalidConfigException("clusters", "at-least " + config.clusters()
                    + " clusters, but the listener has " + clusters.size());
        }
    }

    @Override
    public WritePolicy create(Config config) {
        int needed = config.clusters();
        return tally -> verdict(tally, needed);
    }

    static WritePolicy.Verdict verdict(WriteTally tally, int needed) {
        if (tally.succeeded() >= needed) {
            return WritePolicy.Verdict.SUCCEEDED;
        }
        if (tally.clusters() - tally.failed() < needed) {
            return WritePolicy.Verdict.FAILED;
        }
        return WritePolicy.Verdict.PENDING;
    }
}
