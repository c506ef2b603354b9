package io.metacluster.redis;

import io.metacluster.spi.Pinning;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** proxy-rules.tsv: parsed strictly, and attached to the command table's rows. */
class CommandRulesTest {

    private static Map<String, CommandRules> parse(String text) throws Exception {
        return CommandRules.parse(Tsv.read("proxy-rules.tsv", new BufferedReader(new StringReader(text))));
    }

    @Test
    void columnsAndDefaults() throws Exception {
        Map<String, CommandRules> rules = parse("# comment\n\nping\tqueued\tforward\t-\t-\t-\t-\t-\twhy\n"
                + "xread\t-\t-\t-\tyes\t-\t-\t-\twhy\nspop\t-\t-\t-\t-\tsrem\t-\t-\twhy\nacl|log\t-\t-\t-\t-\t-\t-\twith-reset\twhy\n");
        assertThat(rules.get("ping")).isEqualTo(new CommandRules(CommandRules.InMulti.QUEUED, Pinning.Route.FORWARD,
                CommandRules.Split.NONE, false, Effects.Effect.NONE, CommandRules.Keys.SPECS, CommandRules.Server.NO));
        assertThat(rules.get("xread")).isEqualTo(new CommandRules(CommandRules.InMulti.BY_KIND, Pinning.Route.REFUSE,
                CommandRules.Split.NONE, true, Effects.Effect.NONE, CommandRules.Keys.SPECS, CommandRules.Server.NO));
        assertThat(rules.get("spop").effect()).isEqualTo(Effects.Effect.SREM);
        assertThat(rules.get("acl|log").server()).isEqualTo(CommandRules.Server.WITH_RESET);
        assertThat(parse("quit\tat-once\tas-usual\t-\t-\t-\t-\t-\t\n").get("quit").inMulti()).isEqualTo(CommandRules.InMulti.AT_ONCE);
    }

    @Test
    void aBadLineIsRefusedWithItsNumber() {
        assertThatThrownBy(() -> parse("# c\nping\tqueud\t-\t-\t-\t-\t-\t-\twhy\n")).hasMessageStartingWith("proxy-rules.tsv:2: ");
        assertThatThrownBy(() -> parse("ping\t-\t-\t-\tno\t-\t-\t-\twhy\n")).hasMessageContaining("expected yes or -");
        assertThatThrownBy(() -> parse("ping\t-\t-\t-\n")).hasMessageContaining("expected 9 columns");
    }

    @Test
    void theTableCarriesTheShippedRules() {
        CommandTable table = CommandTable.standard();
        assertThat(table.get("mget").rules().split()).isEqualTo(CommandRules.Split.KEY_ORDER);
        assertThat(table.get("mset").rules().split()).isEqualTo(CommandRules.Split.PAIRS);
        assertThat(table.get("del").rules().split()).isEqualTo(CommandRules.Split.SUM);
        assertThat(table.get("exec").rules().inMulti()).isEqualTo(CommandRules.InMulti.EXECUTES);
        assertThat(table.get("reset").rules().whilePinned()).isEqualTo(Pinning.Route.FORWARD);
        assertThat(table.get("xreadgroup").rules().blockOption()).isTrue();
        assertThat(table.get("xadd").rules().effect()).isEqualTo(Effects.Effect.XADD_ID);
        assertThat(table.get("sort").rules().keys()).isEqualTo(CommandRules.Keys.SORT);
        assertThat(table.get("get").rules()).isSameAs(CommandRules.DEFAULT);
        assertThat(table.get("config|get").rules()).isSameAs(CommandRules.DEFAULT);
    }

    @Test
    void rulesForACommandTheTableLacksAreRefused() {
        String row = "get\t2\tREAD\treadonly,fast\tRO,access index:1 range:0,1,0\texact\t\t\n";
        assertThatThrownBy(() -> CommandTable.parse(Tsv.read("commands.tsv", new BufferedReader(new StringReader(row))),
                Map.of("nosuch", CommandRules.DEFAULT))).hasMessageContaining("[nosuch]");
    }
}
