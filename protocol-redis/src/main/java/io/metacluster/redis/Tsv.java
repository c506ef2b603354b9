package io.metacluster.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The plugin's tab-separated tables ({@code commands.tsv}, {@code proxy-rules.tsv},
 * {@code verify-overrides.tsv}): one row per line, {@code #} comment lines and blank lines
 * skipped, each row with its line number so that a bad one is refused by file and line.
 */
final class Tsv {
    private Tsv() {
    }

    /** One line of a table. */
    record Row(String file, int line, String[] columns) {
        /** The columns, refused unless there are exactly {@code count}. */
        String[] columns(int count) {
            if (columns.length != count) {
                throw error("expected " + count + " columns, got " + columns.length);
            }
            return columns;
        }

        /** An error about this row, naming its file and line. */
        IllegalStateException error(String message) {
            return new IllegalStateException(file + ":" + line + ": " + message);
        }
    }

    /** The rows of the table {@code name}, shipped in the plugin next to this class. */
    static List<Row> resource(String name) {
        try (InputStream in = Tsv.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the redis plugin");
            }
            return read(name, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rows {@code reader} holds; {@code file} names them in errors. */
    static List<Row> read(String file, BufferedReader reader) throws IOException {
        List<Row> rows = new ArrayList<>();
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (!line.isBlank() && !line.startsWith("#")) {
                rows.add(new Row(file, number, line.split("\t", -1)));
            }
        }
        return rows;
    }
}
