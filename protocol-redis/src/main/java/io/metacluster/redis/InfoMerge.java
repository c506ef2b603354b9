package io.metacluster.redis;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code INFO} texts of several Redis nodes (the shards of one cluster) as one server's. In the
 * sections that count what the data set holds and what was done to it ({@code Clients},
 * {@code Memory}, {@code Stats}, {@code CPU}, {@code Keyspace}, {@code Commandstats},
 * {@code Errorstats}) numeric fields are summed: keys, memory, commands, connections, CPU time.
 * Ratios and percentages are the first node's, recent maxima the largest, {@code *_human} sizes
 * are recomputed from the summed bytes, a keyspace's {@code avg_ttl} is weighted by its keys with a
 * TTL, and a command's {@code usec_per_call} recomputed. Every other section ({@code Server},
 * {@code Persistence}, {@code Replication}, {@code Latencystats}, ...) describes one process and is
 * the first node's. Sections and fields keep the first node's order; what only a later node has
 * comes after. Stateless.
 */
final class InfoMerge {
    private static final Set<String> MERGED = Set.of("clients", "memory", "stats", "cpu", "keyspace", "commandstats", "errorstats");
    private static final Set<String> MAX = Set.of("client_recent_max_input_buffer", "client_recent_max_output_buffer",
            "latest_fork_usec", "io_threads_active", "active_defrag_running");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");

    private InfoMerge() {
    }

    static String merge(String[] texts) {
        Map<String, List<Map<String, String>>> sections = new LinkedHashMap<>();
        for (String text : texts) {
            String section = null;
            for (String line : text.split("\r\n")) {
                if (line.startsWith("# ")) {
                    section = line.substring(2);
                    sections.computeIfAbsent(section, name -> new ArrayList<>()).add(new LinkedHashMap<>());
                } else if (section != null && line.indexOf(':') > 0) {
                    List<Map<String, String>> ofSection = sections.get(section);
                    ofSection.get(ofSection.size() - 1).put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1));
                }
            }
        }
        StringBuilder out = new StringBuilder();
        sections.forEach((name, nodes) -> {
            if (out.length() > 0) {
                out.append("\r\n");
            }
            out.append("# ").append(name).append("\r\n");
            Map<String, String> merged = MERGED.contains(name.toLowerCase(Locale.ROOT)) ? merged(name, nodes) : nodes.get(0);
            merged.forEach((field, value) -> out.append(field).append(':').append(value).append("\r\n"));
        });
        return out.toString();
    }

    private static Map<String, String> merged(String section, List<Map<String, String>> nodes) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (Map<String, String> node : nodes) {
            node.forEach((field, value) -> values.computeIfAbsent(field, f -> new ArrayList<>()).add(value));
        }
        Map<String, String> merged = new LinkedHashMap<>();
        values.forEach((field, all) -> merged.put(field, all.size() == 1 ? all.get(0)
                : all.get(0).contains("=") ? subfields(all) : combine(field, all)));
        merged.replaceAll((field, value) -> field.endsWith("_human") && merged.containsKey(base(field))
                && NUMBER.matcher(merged.get(base(field))).matches() ? human(Long.parseLong(merged.get(base(field)))) : value);
        return merged;
    }

    private static String base(String humanField) {
        return humanField.substring(0, humanField.length() - "_human".length());
    }

    private static String combine(String field, List<String> all) {
        if (field.endsWith("_ratio") || field.endsWith("_perc") || !all.stream().allMatch(v -> NUMBER.matcher(v).matches())) {
            return all.get(0);
        }
        BigDecimal result = new BigDecimal(all.get(0));
        for (int i = 1; i < all.size(); i++) {
            BigDecimal next = new BigDecimal(all.get(i));
            result = MAX.contains(field) ? result.max(next) : result.add(next);
        }
        return result.toPlainString();
    }

    /**
     * {@code a=1,b=2} values (keyspace, commandstats, errorstats): numbers summed, then the
     * averages recomputed ({@code avg_ttl} weighted by {@code expires}, {@code usec_per_call}).
     */
    private static String subfields(List<String> all) {
        Map<String, BigDecimal> sums = new LinkedHashMap<>();
        BigDecimal ttlWeighted = BigDecimal.ZERO;
        for (String value : all) {
            Map<String, String> parts = new LinkedHashMap<>();
            for (String part : value.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0 || !NUMBER.matcher(part.substring(eq + 1)).matches()) {
                    return all.get(0);
                }
                parts.put(part.substring(0, eq), part.substring(eq + 1));
            }
            if (parts.containsKey("avg_ttl") && parts.containsKey("expires")) {
                ttlWeighted = ttlWeighted.add(new BigDecimal(parts.get("avg_ttl")).multiply(new BigDecimal(parts.get("expires"))));
            }
            parts.forEach((name, number) -> sums.merge(name, new BigDecimal(number), BigDecimal::add));
        }
        if (sums.containsKey("avg_ttl") && sums.containsKey("expires")) {
            BigDecimal expires = sums.get("expires");
            sums.put("avg_ttl", expires.signum() == 0 ? BigDecimal.ZERO : ttlWeighted.divideToIntegralValue(expires));
        }
        if (sums.containsKey("usec_per_call") && sums.containsKey("calls") && sums.containsKey("usec")) {
            double calls = sums.get("calls").doubleValue();
            sums.put("usec_per_call", new BigDecimal(String.format(Locale.ROOT, "%.2f",
                    calls == 0 ? 0.0 : sums.get("usec").doubleValue() / calls)));
        }
        StringBuilder out = new StringBuilder();
        sums.forEach((name, number) -> out.append(out.length() == 0 ? "" : ",").append(name).append('=').append(number.toPlainString()));
        return out.toString();
    }

    /** Redis's {@code bytesToHuman}: {@code 989.66K}, {@code 23.54G}, {@code 200B}. */
    static String human(long bytes) {
        String[] units = {"K", "M", "G", "T", "P"};
        if (bytes < 1024) {
            return bytes + "B";
        }
        double value = bytes;
        for (String unit : units) {
            value /= 1024;
            if (value < 1024 || unit.equals("P")) {
                return String.format(Locale.ROOT, "%.2f%s", value, unit);
            }
        }
        return bytes + "B";
    }
}
