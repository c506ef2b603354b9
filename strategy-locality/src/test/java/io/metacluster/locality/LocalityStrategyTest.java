package io.metacluster.locality;

import io.metacluster.spi.ClusterView;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LocalityStrategyTest {

    record View(String name, boolean local, boolean healthy) implements ClusterView {
    }

    private static Map<String, Integer> pickMany(List<View> clusters) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            ClusterView chosen = LocalityStrategy.select(null, clusters);
            counts.merge(chosen == null ? "none" : chosen.name(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void prefersTheHealthyLocalCluster() {
        var counts = pickMany(List.of(new View("a", false, true), new View("b", true, true), new View("c", false, true)));
        assertThat(counts).containsOnlyKeys("b");
    }

    @Test
    void spreadsOverEqualLocals() {
        var counts = pickMany(List.of(new View("a", true, true), new View("b", true, true), new View("c", false, true)));
        assertThat(counts).containsOnlyKeys("a", "b");
        assertThat(counts.get("a")).isBetween(1600, 2400);
    }

    @Test
    void fallsBackToRandomHealthyRemotesWhenNoLocalIsUp() {
        var counts = pickMany(List.of(new View("a", true, false), new View("b", false, true), new View("c", false, true),
                new View("d", false, false)));
        assertThat(counts).containsOnlyKeys("b", "c");
        assertThat(counts.get("b")).isBetween(1600, 2400);
    }

    @Test
    void answersNothingWhenEveryClusterIsDown() {
        assertThat(pickMany(List.of(new View("a", true, false), new View("b", false, false)))).containsOnlyKeys("none");
        assertThat(LocalityStrategy.select(null, List.of())).isNull();
    }
}
