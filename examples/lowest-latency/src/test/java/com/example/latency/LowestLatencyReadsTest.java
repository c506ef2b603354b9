package com.example.latency;

import io.metacluster.spi.ClusterView;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LowestLatencyReadsTest {
    record Cluster(String name, boolean local, boolean healthy, long latencyNanos) implements ClusterView {
    }

    private static String chosen(Cluster... clusters) {
        ClusterView chosen = LowestLatencyReads.select(null, List.of(clusters));
        return chosen == null ? null : chosen.name();
    }

    @Test
    void theFastestHealthyLocalCluster() {
        assertThat(chosen(new Cluster("a", true, true, 900), new Cluster("b", true, true, 300),
                new Cluster("c", true, false, 100))).isEqualTo("b");
    }

    @Test
    void neverARemoteClusterWhileALocalOneIsHealthy() {
        assertThat(chosen(new Cluster("remote", false, true, 1), new Cluster("slow", true, true, 1_000_000_000)))
                .isEqualTo("slow");
    }

    @Test
    void theFastestRemoteClusterWhenNoLocalOneIsHealthy() {
        assertThat(chosen(new Cluster("local", true, false, 1), new Cluster("far", false, true, 900),
                new Cluster("near", false, true, 200))).isEqualTo("near");
    }

    @Test
    void equalLatenciesGoToTheFirstAndNothingHealthyToNone() {
        assertThat(chosen(new Cluster("a", true, true, 0), new Cluster("b", true, true, 0))).isEqualTo("a");
        assertThat(chosen(new Cluster("a", true, false, 0), new Cluster("b", false, false, 0))).isNull();
    }
}
