package io.metacluster.engine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;

import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter per command name, {@code <prefix>.<name>}, at a bounded cost: at most
 * {@link #MAX_NAMES} names (the rest count as {@code other}), commands the protocol does not
 * know as {@code unknown} (their name is the client's word, so unbounded).
 *
 * <p>On the request path a command's counter is found by the identity of its name: protocols
 * name commands with constants from their command tables, so after the first of each name the
 * lookup is an identity-hash probe of a map that is never written again, without allocating or
 * locking. A name built per request (not a constant) falls back to a lookup by content.
 */
final class CommandNames {
    static final int MAX_NAMES = 256;
    /** Beyond this many distinct name objects, new ones are looked up by content only. */
    private static final int MAX_IDENTITIES = 4 * MAX_NAMES;

    private final MetricRegistry registry;
    private final String prefix;
    private final Counter other;
    private final Counter unknown;
    private final Map<String, Counter> byContent = new ConcurrentHashMap<>();
    /** Copied on write: read without a lock by every event loop. */
    private volatile IdentityHashMap<String, Counter> byIdentity = new IdentityHashMap<>();

    CommandNames(MetricRegistry registry, String prefix) {
        this.registry = registry;
        this.prefix = prefix;
        this.other = registry.counter(prefix + ".other");
        this.unknown = registry.counter(prefix + ".unknown");
    }

    Counter counter(Command command) {
        if (command.kind() == CommandKind.UNSUPPORTED) {
            return unknown;
        }
        Counter counter = byIdentity.get(command.name());
        return counter != null ? counter : slow(command.name());
    }

    private Counter slow(String name) {
        Counter counter = byContent.get(name);
        if (counter == null) {
            // past the cap, no lock: a client sending ever new names (forwarded unknown commands) costs a hash
            counter = byContent.size() >= MAX_NAMES ? other : register(name);
        }
        if (counter != other && byIdentity.size() < MAX_IDENTITIES) {
            remember(name, counter);
        }
        return counter;
    }

    private synchronized Counter register(String name) {
        Counter counter = byContent.get(name);
        if (counter != null) {
            return counter;
        }
        if (byContent.size() >= MAX_NAMES) {
            return other;
        }
        counter = registry.counter(prefix + "." + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_"));
        byContent.put(name, counter);
        return counter;
    }

    private synchronized void remember(String name, Counter counter) {
        if (byIdentity.size() < MAX_IDENTITIES && !byIdentity.containsKey(name)) {
            IdentityHashMap<String, Counter> copy = new IdentityHashMap<>(byIdentity);
            copy.put(name, counter);
            byIdentity = copy;
        }
    }
}
