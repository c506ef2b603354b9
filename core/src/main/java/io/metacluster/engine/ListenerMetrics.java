package io.metacluster.engine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.metacluster.spi.CommandKind;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/** What the engine counts per listener: {@code listener.<name>.*}. */
final class ListenerMetrics {
    final Counter connections;
    final Meter accepted;
    final Meter rejected;
    final Meter outputLimitDisconnects;
    final Meter authFailures;
    final Meter missFailovers;
    /** Counters, not meters: a meter costs four atomic adds and a clock read per request. */
    private final Map<CommandKind, Counter> commands = new EnumMap<>(CommandKind.class);

    ListenerMetrics(MetricRegistry registry, String listener) {
        String prefix = MetricRegistry.name("listener", listener);
        connections = registry.counter(prefix + ".connections");
        accepted = registry.meter(prefix + ".connections-accepted");
        rejected = registry.meter(prefix + ".connections-rejected");
        outputLimitDisconnects = registry.meter(prefix + ".output-limit-disconnects");
        authFailures = registry.meter(prefix + ".auth-failures");
        missFailovers = registry.meter(prefix + ".miss-failovers");
        for (CommandKind kind : CommandKind.values()) {
            commands.put(kind, registry.counter(prefix + ".commands." + kind.name().toLowerCase(Locale.ROOT).replace('_', '-')));
        }
    }

    Counter commands(CommandKind kind) {
        return commands.get(kind);
    }
}
