package io.metacluster.redis;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/redis-compatibility.md says, for every command of the table, the routing the code gives
 * it: the generated tables there cannot drift from commands.tsv and proxy-rules.tsv (regenerate
 * them with src/build/gen_compat_doc.py).
 */
class CompatibilityDocTest {
    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z_\\-| ]+)` \\| ([a-z\\-]+) \\|", Pattern.MULTILINE);

    /** The routing word of the document, as gen_compat_doc.py computes it. */
    static String routing(CommandInfo info) {
        CommandRules rules = info.rules();
        if (rules.server() == CommandRules.Server.ALWAYS) {
            return "server-commands";
        }
        return switch (rules.effect()) {
            case XADD_ID, SREM, SET_KEEPTTL, HSET, XCLAIM -> "decided";
            default -> switch (info.kind()) {
                case READ -> "read";
                case WRITE -> "write-all";
                case CONDITIONAL_WRITE -> "decided";
                case PINNED -> "pinned";
                case ASIDE -> "aside";
                case EVERY_NODE -> "server-commands";
                case ADMIN -> "proxy";
                case UNSUPPORTED -> "refused";
            };
        };
    }

    @Test
    void everyCommandIsDocumentedWithItsRouting() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "redis-compatibility.md"));
        Map<String, String> documented = new HashMap<>();
        Matcher row = ROW.matcher(doc);
        while (row.find()) {
            documented.put(row.group(1), row.group(2));
        }
        Map<String, String> expected = new HashMap<>();
        for (CommandInfo info : CommandTable.standard().commands()) {
            if (info.isContainer()) {
                info.subcommands().commands().forEach(sub -> expected.put(sub.displayName(), routing(sub)));
            } else {
                expected.put(info.name().toUpperCase(Locale.ROOT), routing(info));
            }
        }
        assertThat(documented).as("regenerate with protocol-redis/src/build/gen_compat_doc.py").isEqualTo(expected);
    }
}
