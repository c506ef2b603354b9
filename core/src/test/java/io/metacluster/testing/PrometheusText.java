package io.metacluster.testing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
 * line must be a {@code # HELP}, a {@code # TYPE} or a sample as the format's grammar defines
 * them; each family is typed once, before its samples, and every sample belongs to the family
 * typed last. Anything else is an {@link AssertionError} naming the line.
 */
public final class PrometheusText {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
    private static final String VALUE = "(?:[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|NaN|[+-]Inf)";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (?:[^\\\\\\n]|\\\\[\\\\n])*");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(?:" + LABEL + "(?:," + LABEL + ")*,?)?})? ("
            + VALUE + ")(?: -?\\d+)?");
    private static final List<String> SUFFIXES = List.of("", "_total", "_created", "_sum", "_count", "_bucket", "_info");

    /** Each family's type, in order of appearance. */
    public final Map<String, String> types = new LinkedHashMap<>();
    /** Each sample's value, by its name and labels as written ({@code name{a="b"}}). */
    public final Map<String, Double> samples = new LinkedHashMap<>();

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        if (!text.endsWith("\n")) {
            throw new AssertionError("the exposition does not end with a line feed");
        }
        PrometheusText parsed = new PrometheusText();
        String family = null;
        Set<String> typed = new java.util.HashSet<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            Matcher matcher;
            if ((matcher = TYPE.matcher(line)).matches()) {
                family = matcher.group(1);
                if (!typed.add(family)) {
                    throw new AssertionError("line " + (i + 1) + ": family " + family + " typed twice");
                }
                parsed.types.put(family, matcher.group(2));
            } else if (HELP.matcher(line).matches()) {
                continue;
            } else if ((matcher = SAMPLE.matcher(line)).matches()) {
                String name = matcher.group(1);
                if (family == null || !belongs(name, family)) {
                    throw new AssertionError("line " + (i + 1) + ": sample " + name + " outside its family's TYPE (last: " + family + ")");
                }
                String key = name + (matcher.group(2) == null ? "" : matcher.group(2));
                if (parsed.samples.put(key, number(matcher.group(3))) != null) {
                    throw new AssertionError("line " + (i + 1) + ": sample " + key + " given twice");
                }
            } else {
                throw new AssertionError("line " + (i + 1) + " is not in the text format: '" + line + "'");
            }
        }
        return parsed;
    }

    private static boolean belongs(String sample, String family) {
        return SUFFIXES.stream().anyMatch(suffix -> sample.equals(family + suffix));
    }

    private static double number(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
        };
    }

    /** The value of sample {@code key} (name and labels as written); fails when there is none. */
    public double value(String key) {
        Double value = samples.get(key);
        if (value == null) {
            throw new AssertionError("no sample " + key + "; samples: " + samples.keySet());
        }
        return value;
    }
}
