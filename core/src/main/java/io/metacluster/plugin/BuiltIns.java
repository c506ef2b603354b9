package io.metacluster.plugin;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.InvalidConfigException;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.Topology;
import io.metacluster.spi.TopologyFactory;
import io.metacluster.spi.VerifyContext;
import io.metacluster.spi.VerifyStrategy;
import io.metacluster.spi.WritePolicy;
import io.metacluster.spi.WritePolicy.Verdict;
import io.metacluster.spi.WritePolicyFactory;
import io.metacluster.spi.WriteTally;

import java.util.List;

/** The extensions the core ships: the four write policies, the single-node and hash-ring topologies, no verification. */
final class BuiltIns {
    private BuiltIns() {
    }

    static final List<WritePolicyFactory<NoConfig>> WRITE_POLICIES = List.of(
            // a success, but not before every local cluster answered: reads are served there, so a
            // client that reads right after an OK (on any connection) sees its write, as with one server
            new BuiltInWritePolicy("first", false, t -> t.succeeded() > 0 && t.localSucceeded() + t.localFailed() == t.localClusters()
                    ? Verdict.SUCCEEDED : t.failed() == t.clusters() ? Verdict.FAILED : Verdict.PENDING),
            new BuiltInWritePolicy("local", true, t -> t.localSucceeded() > 0 ? Verdict.SUCCEEDED
                    : t.localFailed() == t.localClusters() ? Verdict.FAILED : Verdict.PENDING),
            new BuiltInWritePolicy("quorum", false, t -> {
                int quorum = t.clusters() / 2 + 1;
                return t.succeeded() >= quorum ? Verdict.SUCCEEDED
                        : t.clusters() - t.failed() < quorum ? Verdict.FAILED : Verdict.PENDING;
            }),
            new BuiltInWritePolicy("all", false, t -> t.failed() > 0 ? Verdict.FAILED
                    : t.succeeded() == t.clusters() ? Verdict.SUCCEEDED : Verdict.PENDING));

    static final TopologyFactory<NoConfig> SINGLE_NODE = new TopologyFactory<>() {
        private final Topology firstNode = command -> 0;

        @Override
        public String name() {
            return "single";
        }

        @Override
        public Class<NoConfig> configType() {
            return NoConfig.class;
        }

        @Override
        public Topology create(NoConfig config, List<String> nodes) {
            if (nodes.size() != 1) {
                throw new IllegalArgumentException("topology 'single' takes exactly one node, got " + nodes.size());
            }
            return firstNode;
        }
    };

    static final TopologyFactory<HashRing.Options> HASH_RING = new TopologyFactory<>() {
        @Override
        public String name() {
            return "hash-ring";
        }

        @Override
        public Class<HashRing.Options> configType() {
            return HashRing.Options.class;
        }

        @Override
        public Topology create(HashRing.Options config, List<String> nodes) {
            return new HashRing(nodes, config);
        }
    };

    static final VerifyStrategy<NoConfig> NO_VERIFY = new VerifyStrategy<>() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public Class<NoConfig> configType() {
            return NoConfig.class;
        }

        @Override
        public ReadVerifier create(NoConfig config, VerifyContext context) {
            return ReadVerifier.NONE;
        }
    };

    /**
     * A write policy without settings: the same stateless {@link WritePolicy} for every listener.
     * One that waits for local clusters needs one among the listener's: else it would have nothing to wait for.
     */
    private record BuiltInWritePolicy(String name, boolean needsLocalCluster, WritePolicy policy)
            implements WritePolicyFactory<NoConfig> {
        @Override
        public Class<NoConfig> configType() {
            return NoConfig.class;
        }

        @Override
        public void validate(NoConfig config, List<? extends ClusterView> clusters) throws InvalidConfigException {
            if (needsLocalCluster && clusters.stream().noneMatch(ClusterView::local)) {
                throw new InvalidConfigException("write policy '" + name + "' needs a cluster marked local: true");
            }
        }

        @Override
        public WritePolicy create(NoConfig config) {
            return policy;
        }
    }
}
