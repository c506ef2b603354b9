package io.metacluster.engine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What the engine counts per listener: {@code listener.<name>.*}. */
final class ListenerMetrics {
    /** Why the daemon itself answered a client with an error: {@code listener.<name>.errors.<kind>}. */
    enum ErrorKind {
        /** A request that could not be decoded (the protocol's own error reply). */
        PROTOCOL,
        /** No cluster could serve a read, or a write's policy was not met. */
        UNAVAILABLE
    }

    final Counter connections;
    final Meter accepted;
    /** Client-limit hits: max-clients reached. */
    final Meter rejected;
    /** Client-limit hits: max-output-bytes exceeded. */
    final Meter outputLimitDisconnects;
    /** Client-limit hits: max-pending-per-client reached, the client no longer read from for a while. */
    final Meter pendingLimitPauses;
    final Meter authFailures;
    final Meter missFailovers;
    /** Counters, not meters: a meter costs four atomic adds and a clock read per request. */
    private final Map<CommandKind, Counter> commands = new EnumMap<>(CommandKind.class);
    private final Map<ErrorKind, Counter> errors = new EnumMap<>(ErrorKind.class);
    private final CommandNames byName;
    private final MetricRegistry registry;
    private final String verifyScope;

    ListenerMetrics(MetricRegistry registry, String listener) {
        String prefix = MetricRegistry.name("listener", listener);
        this.registry = registry;
        this.verifyScope = prefix + ".verify.";
        connections = registry.counter(prefix + ".connections");
        accepted = registry.meter(prefix + ".connections-accepted");
        rejected = registry.meter(prefix + ".connections-rejected");
        outputLimitDisconnects = registry.meter(prefix + ".output-limit-disconnects");
        pendingLimitPauses = registry.meter(prefix + ".pending-limit-pauses");
        authFailures = registry.meter(prefix + ".auth-failures");
        missFailovers = registry.meter(prefix + ".miss-failovers");
        for (CommandKind kind : CommandKind.values()) {
            commands.put(kind, registry.counter(prefix + ".commands." + metricName(kind)));
        }
        for (ErrorKind kind : ErrorKind.values()) {
            errors.put(kind, registry.counter(prefix + ".errors." + metricName(kind)));
        }
        byName = new CommandNames(registry, prefix + ".command");
    }

    private static String metricName(Enum<?> kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    Counter commands(CommandKind kind) {
        return commands.get(kind);
    }

    /** Counts a client's command by kind and by name. */
    void command(Command command) {
        commands.get(command.kind()).inc();
        byName.counter(command).inc();
    }

    void error(ErrorKind kind) {
        errors.get(kind).inc();
    }

    /** The listener's verification counters ({@code listener.<name>.verify.*}) by their names in that scope. */
    Map<String, Long> verifyCounts() {
        Map<String, Long> counts = new TreeMap<>();
        registry.getMeters((name, meter) -> name.startsWith(verifyScope))
                .forEach((name, meter) -> counts.put(name.substring(verifyScope.length()), meter.getCount()));
        return counts;
    }
}
