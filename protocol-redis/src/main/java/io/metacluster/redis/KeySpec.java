package io.metacluster.redis;

import java.util.Locale;

/**
 * One Redis 7 key specification (see COMMAND DOCS, "key specifications"): where the search for
 * keys begins (an argument index, or after a keyword) and how keys are found from there (a range
 * or a key count argument). Parsed from the {@code keys} column of {@code commands.tsv}.
 *
 * @param flags        Redis key-spec flags, e.g. {@code RW,access,update}
 * @param beginIndex   for an index search: argv position of the first key; otherwise 0
 * @param keyword      for a keyword search: the keyword (upper case); otherwise {@code null}
 * @param startFrom    for a keyword search: where to start looking (negative counts from the end)
 * @param find         RANGE, KEYNUM or UNKNOWN
 * @param a            RANGE: lastkey; KEYNUM: keynumidx
 * @param b            RANGE: keystep; KEYNUM: firstkey
 * @param c            RANGE: limit; KEYNUM: keystep
 */
public record KeySpec(String flags, int beginIndex, String keyword, int startFrom, Find find, int a, int b, int c) {

    public enum Find { RANGE, KEYNUM, UNKNOWN }

    /** Whether the begin-search is unknown (keys cannot be found from the spec alone). */
    public boolean unknownBegin() {
        return beginIndex == 0 && keyword == null;
    }

    /** Parses {@code "FLAGS begin find"} as the generator writes it. */
    static KeySpec parse(String text) {
        String[] parts = text.trim().split(" ");
        if (parts.length != 3) {
            throw new IllegalArgumentException("key spec needs 'flags begin find': " + text);
        }
        int index = 0;
        String keyword = null;
        int startFrom = 0;
        if (parts[1].startsWith("index:")) {
            index = Integer.parseInt(parts[1].substring(6));
        } else if (parts[1].startsWith("keyword:")) {
            String[] kw = parts[1].substring(8).split(",");
            keyword = kw[0].toUpperCase(Locale.ROOT);
            startFrom = Integer.parseInt(kw[1]);
        } else if (!parts[1].equals("unknown")) {
            throw new IllegalArgumentException("bad begin_search: " + text);
        }
        Find find;
        int[] n = {0, 0, 0};
        if (parts[2].startsWith("range:") || parts[2].startsWith("keynum:")) {
            find = parts[2].startsWith("range:") ? Find.RANGE : Find.KEYNUM;
            String[] numbers = parts[2].substring(parts[2].indexOf(':') + 1).split(",");
            for (int i = 0; i < 3; i++) {
                n[i] = Integer.parseInt(numbers[i]);
            }
        } else if (parts[2].equals("unknown")) {
            find = Find.UNKNOWN;
        } else {
            throw new IllegalArgumentException("bad find_keys: " + text);
        }
        return new KeySpec(parts[0], index, keyword, startFrom, find, n[0], n[1], n[2]);
    }

    /** The compact form the table uses (inverse of {@link #parse}). */
    @Override
    public String toString() {
        String begin = keyword != null ? "keyword:" + keyword + "," + startFrom : beginIndex > 0 ? "index:" + beginIndex : "unknown";
        String findText = switch (find) {
            case RANGE -> "range:" + a + "," + b + "," + c;
            case KEYNUM -> "keynum:" + a + "," + b + "," + c;
            case UNKNOWN -> "unknown";
        };
        return flags + " " + begin + " " + findText;
    }
}
