package io.metacluster.memcached;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code stats} of several memcached nodes (the shards of one cluster) as one server's: what
 * counts items, bytes, commands, connections or time spent is summed (the cluster holds and did
 * that much), and what describes one process is taken from the first node ({@code pid},
 * {@code uptime}, {@code time}, {@code version}, {@code libevent}, {@code pointer_size},
 * {@code threads}, the hash table's state, whether a background job runs now). Ages are the
 * oldest node's, a slab class's chunk geometry the largest, {@code accepting_conns} the lowest,
 * and {@code active_slabs} counts the classes any node uses. Names keep the first node's order;
 * one only a later node reports comes after. Stateless.
 */
final class StatsMerge {
    /** The groups merged: the general figures, {@code items}, {@code slabs} and {@code sizes}. */
    private static final Set<String> MERGED = Set.of("", "items", "slabs", "sizes");
    private static final Set<String> FIRST = Set.of("pid", "uptime", "time", "version", "libevent", "pointer_size",
            "threads", "hash_power_level", "hash_is_expanding", "slab_reassign_running", "lru_crawler_running",
            "sizes_status");
    private static final Set<String> MAX = Set.of("age", "age_hot", "age_warm", "evicted_time", "chunk_size",
            "chunks_per_page");
    private static final Set<String> MIN = Set.of("accepting_conns");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final Pattern SLAB_FIGURE = Pattern.compile("([0-9]+):.*");

    private StatsMerge() {
    }

    /** Whether {@code group}'s figures are merged; the others are the first node's. */
    static boolean merged(String group) {
        return MERGED.contains(group);
    }

    /**
     * @param nodes each node's {@code (name, value)} pairs, in its order
     * @return the merged figures, by name, in order
     */
    static Map<String, String> merge(String group, List<List<String[]>> nodes) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (List<String[]> node : nodes) {
            for (String[] stat : node) {
                values.computeIfAbsent(stat[0], name -> new ArrayList<>()).add(stat[1]);
            }
        }
        Map<String, String> merged = new LinkedHashMap<>();
        Set<String> slabClasses = new TreeSet<>();
        values.forEach((name, all) -> {
            merged.put(name, combine(name.substring(name.lastIndexOf(':') + 1), all));
            var slab = SLAB_FIGURE.matcher(name);
            if (group.equals("slabs") && slab.matches()) {
                slabClasses.add(slab.group(1));
            }
        });
        if (group.equals("slabs") && merged.containsKey("active_slabs")) {
            // the totals come after every class, as memcached writes them, whichever node had which class
            String malloced = merged.remove("total_malloced");
            merged.remove("active_slabs");
            merged.put("active_slabs", Integer.toString(slabClasses.size()));
            if (malloced != null) {
                merged.put("total_malloced", malloced);
            }
        }
        return merged;
    }

    private static String combine(String figure, List<String> all) {
        if (all.size() == 1 || FIRST.contains(figure) || !all.stream().allMatch(v -> NUMBER.matcher(v).matches())) {
            return all.get(0);
        }
        BigDecimal result = new BigDecimal(all.get(0));
        for (int i = 1; i < all.size(); i++) {
            BigDecimal next = new BigDecimal(all.get(i));
            if (MAX.contains(figure)) {
                result = result.max(next);
            } else if (MIN.contains(figure)) {
                result = result.min(next);
            } else {
                result = result.add(next);
            }
        }
        return result.toPlainString();
    }
}
