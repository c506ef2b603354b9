package io.metacluster.engine;

import com.codahale.metrics.MetricRegistry;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CommandNamesTest {
    private final MetricRegistry registry = new MetricRegistry();
    private final CommandNames names = new CommandNames(registry, "listener.main.command");

    private static Command command(String name, CommandKind kind) {
        return kind == CommandKind.UNSUPPORTED ? Command.unsupported(Unpooled.EMPTY_BUFFER, name, "no", null)
                : Command.of(Unpooled.EMPTY_BUFFER, name, kind, null, null);
    }

    private long count(String metric) {
        return registry.counter("listener.main.command." + metric).getCount();
    }

    @Test
    void countsEachNameTheSameWhateverItsStringObject() {
        names.counter(command("GET", CommandKind.READ)).inc();
        names.counter(command("GET", CommandKind.READ)).inc();
        names.counter(command(new String("GET"), CommandKind.READ)).inc();
        names.counter(command("CLIENT LIST", CommandKind.ADMIN)).inc();
        assertThat(count("get")).isEqualTo(3);
        assertThat(count("client_list")).isEqualTo(1);
        assertThat(names.counter(command("GET", CommandKind.READ))).isSameAs(names.counter(command("GET", CommandKind.READ)));
    }

    @Test
    void commandsTheProtocolDoesNotKnowAreOneFigure() {
        names.counter(command("FROBNICATE", CommandKind.UNSUPPORTED)).inc();
        names.counter(command("UNKNOWN", CommandKind.UNSUPPORTED)).inc();
        assertThat(count("unknown")).isEqualTo(2);
        assertThat(registry.getCounters()).doesNotContainKey("listener.main.command.frobnicate");
    }

    @Test
    void theNumberOfNamesIsCapped() {
        for (int i = 0; i < CommandNames.MAX_NAMES + 50; i++) {
            names.counter(command("MODULE.CMD" + i, CommandKind.WRITE)).inc();
        }
        names.counter(command("MODULE.CMD0", CommandKind.WRITE)).inc();
        assertThat(count("module_cmd0")).isEqualTo(2);
        assertThat(count("other")).isEqualTo(50);
        assertThat(registry.getCounters().keySet()).hasSize(CommandNames.MAX_NAMES + 2);
    }
}
