package io.metacluster.redis;

import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checked-in command table against a real redis-server's COMMAND reply: every command and
 * subcommand, arity, flags, tips and key specs. Fails when either side has a command the other
 * lacks, so the table cannot drift silently (regenerate with src/build/gen_commands.py).
 */
class CommandTableTest {
    static RedisServer redis;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    @Test
    void tableMatchesTheServer() {
        Map<String, List<?>> live = new LinkedHashMap<>();
        for (Object info : (List<?>) redis.call("COMMAND")) {
            collect((List<?>) info, live);
        }
        Map<String, CommandInfo> table = new LinkedHashMap<>();
        for (CommandInfo info : CommandTable.standard().commands()) {
            if (!info.note().startsWith("metacluster:")) {
                table.put(info.name(), info);
            }
            if (info.isContainer()) {
                info.subcommands().commands().stream().filter(s -> !s.note().startsWith("metacluster:"))
                        .forEach(s -> table.put(s.name(), s));
            }
        }
        assertThat(new TreeSet<>(table.keySet())).as("commands in the table").isEqualTo(new TreeSet<>(live.keySet()));
        for (Map.Entry<String, List<?>> e : live.entrySet()) {
            List<?> info = e.getValue();
            CommandInfo row = table.get(e.getKey());
            assertThat(row.arity()).as(e.getKey() + " arity").isEqualTo(((Long) info.get(1)).intValue());
            assertThat(new ArrayList<>(row.flags())).as(e.getKey() + " flags").isEqualTo(info.get(2));
            assertThat(row.tips()).as(e.getKey() + " tips").isEqualTo(info.get(7));
            List<String> specs = new ArrayList<>();
            for (Object spec : (List<?>) info.get(8)) {
                specs.add(render((List<?>) spec));
            }
            assertThat(row.keySpecs().stream().map(KeySpec::toString).toList()).as(e.getKey() + " key specs").isEqualTo(specs);
            assertThat(CommandTable.standard().get(e.getKey())).isSameAs(row);
        }
        assertThat(live).hasSizeGreaterThan(350);
    }

    private static void collect(List<?> info, Map<String, List<?>> into) {
        into.put((String) info.get(0), info);
        for (Object sub : (List<?>) info.get(9)) {
            collect((List<?>) sub, into);
        }
    }

    /** The generator's compact form, from the server's key-spec map (a flat RESP2 array). */
    private static String render(List<?> spec) {
        Map<String, Object> s = map(spec);
        Map<String, Object> bs = map((List<?>) s.get("begin_search"));
        Map<String, Object> bspec = map((List<?>) bs.get("spec"));
        String begin = switch ((String) bs.get("type")) {
            case "index" -> "index:" + bspec.get("index");
            case "keyword" -> "keyword:" + bspec.get("keyword") + "," + bspec.get("startfrom");
            default -> "unknown";
        };
        Map<String, Object> fk = map((List<?>) s.get("find_keys"));
        Map<String, Object> fspec = map((List<?>) fk.get("spec"));
        String find = switch ((String) fk.get("type")) {
            case "range" -> "range:" + fspec.get("lastkey") + "," + fspec.get("keystep") + "," + fspec.get("limit");
            case "keynum" -> "keynum:" + fspec.get("keynumidx") + "," + fspec.get("firstkey") + "," + fspec.get("keystep");
            default -> "unknown";
        };
        return String.join(",", (List<String>) s.get("flags")) + " " + begin + " " + find;
    }

    private static Map<String, Object> map(List<?> flat) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; flat != null && i + 1 < flat.size(); i += 2) {
            map.put((String) flat.get(i), flat.get(i + 1));
        }
        return map;
    }
}
