package io.metacluster.engine;

import io.metacluster.spi.ProxyReport;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes the {@link ProxyReport} that a protocol adds to a server report (Redis {@code INFO},
 * memcached {@code stats}): the listener and its clusters as the admin endpoint's {@code /clusters}
 * shows them. Called on the client's event loop for each report, which is rare.
 */
final class ProxyReports {
    /** The daemon's version from its jar, or {@code dev} when run from classes. */
    static final String VERSION = version();

    private ProxyReports() {
    }

    static ProxyReport of(Listener listener, List<LoopCluster> clusters, LoopCluster serving) {
        List<ProxyReport.Cluster> all = new ArrayList<>(clusters.size());
        for (LoopCluster view : clusters) {
            Cluster cluster = view.cluster;
            int up = 0;
            long pending = 0;
            long bytes = 0;
            for (Node node : cluster.nodes()) {
                up += node.isUp() ? 1 : 0;
                pending += node.replay.pending();
                bytes += node.replay.bytes();
            }
            all.add(new ProxyReport.Cluster(cluster.name(), cluster.config().local(), ClusterStatus.healthy(cluster),
                    cluster.nodes().length, up, pending, bytes));
        }
        return new ProxyReport(listener.name(), VERSION, serving.name(), listener.metrics().connections.getCount(), all,
                listener.metrics().verifyCounts());
    }

    private static String version() {
        String version = ProxyReports.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
