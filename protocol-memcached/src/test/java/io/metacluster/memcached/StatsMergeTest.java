package io.metacluster.memcached;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StatsMergeTest {
    private static List<String[]> stats(String... pairs) {
        List<String[]> out = new java.util.ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.add(new String[]{pairs[i], pairs[i + 1]});
        }
        return out;
    }

    @Test
    void generalFiguresAreSummedButOneProcesssAreTheFirstNodes() {
        Map<String, String> merged = StatsMerge.merge("", List.of(
                stats("pid", "10", "uptime", "100", "version", "1.6.18", "rusage_user", "0.005238", "curr_items", "3",
                        "accepting_conns", "1", "threads", "4"),
                stats("pid", "20", "uptime", "50", "version", "1.6.18", "rusage_user", "0.100000", "curr_items", "4",
                        "accepting_conns", "0", "threads", "4", "only_later", "1")));
        assertThat(merged).containsExactly(Map.entry("pid", "10"), Map.entry("uptime", "100"), Map.entry("version", "1.6.18"),
                Map.entry("rusage_user", "0.105238"), Map.entry("curr_items", "7"), Map.entry("accepting_conns", "0"),
                Map.entry("threads", "4"), Map.entry("only_later", "1"));
    }

    @Test
    void itemsAndSlabsKeepTheirGeometryAndCountTheClassesUsed() {
        Map<String, String> items = StatsMerge.merge("items", List.of(
                stats("items:1:number", "2", "items:1:age", "30"), stats("items:1:number", "5", "items:1:age", "10")));
        assertThat(items).containsEntry("items:1:number", "7").containsEntry("items:1:age", "30");
        Map<String, String> slabs = StatsMerge.merge("slabs", List.of(
                stats("1:chunk_size", "96", "1:used_chunks", "2", "active_slabs", "1", "total_malloced", "1048576"),
                stats("2:chunk_size", "120", "2:used_chunks", "1", "active_slabs", "1", "total_malloced", "1048576")));
        assertThat(slabs).containsEntry("active_slabs", "2").containsEntry("total_malloced", "2097152")
                .containsEntry("1:chunk_size", "96").containsEntry("2:chunk_size", "120");
        assertThat(StatsMerge.merged("settings")).isFalse();
        assertThat(StatsMerge.merged("conns")).isFalse();
    }
}
