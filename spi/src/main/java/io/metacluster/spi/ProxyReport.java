package io.metacluster.spi;

import java.util.List;
import java.util.Map;

/**
 * The proxy's own figures for one listener at one moment, handed to {@link ServerReports#join} so
 * that a protocol can add them to the server's report (a {@code # Metacluster} section of Redis
 * {@code INFO}, {@code STAT metacluster_*} lines of memcached {@code stats}). An immutable snapshot
 * made by the engine on the client's event loop; the same figures the metrics export.
 *
 * @param listener    the listener's configured name
 * @param version     the daemon's version
 * @param serving     the cluster whose nodes answered this report
 * @param connections client connections open on this listener now
 * @param clusters    the listener's clusters, in configuration order
 * @param verify      background verification counters of this listener ({@code listener.<name>.verify.*},
 *                    e.g. {@code sampled}, {@code mismatch}, {@code repaired}), by name (in no
 *                    particular order: sort them to show them); empty when the listener does not verify
 * @since SPI 0.2.2
 */
public record ProxyReport(String listener, String version, String serving, long connections, List<Cluster> clusters,
                          Map<String, Long> verify) {

    public ProxyReport {
        clusters = List.copyOf(clusters);
        verify = Map.copyOf(verify);
    }

    /**
     * One cluster of the listener.
     *
     * @param healthy       whether every node takes requests now (from every event loop), none catching up
     * @param nodes         how many nodes it has
     * @param nodesUp       how many of them have a working connection now
     * @param replayPending writes waiting in its nodes' replay logs (missed while a node was away)
     * @param replayBytes   the bytes of those writes
     */
    public record Cluster(String name, boolean local, boolean healthy, int nodes, int nodesUp, long replayPending,
                          long replayBytes) {
    }
}
