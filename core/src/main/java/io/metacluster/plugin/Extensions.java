package io.metacluster.plugin;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The extensions of one kind (protocols, read strategies, ...), by the name the config uses.
 *
 * @param <T> the extension type
 */
public final class Extensions<T> {
    private final String kind;
    private final Map<String, T> byName = new TreeMap<>();

    /**
     * @param origin where an extension comes from, for messages: its plugin and jar, or "built in"
     * @throws IllegalStateException when an extension's {@code name()} fails, or two are named alike
     */
    Extensions(String kind, Collection<? extends T> extensions, Function<T, String> name, Function<Object, String> origin) {
        this.kind = kind;
        for (T extension : extensions) {
            String named;
            try {
                named = name.apply(extension);
            } catch (RuntimeException e) {
                throw new IllegalStateException("the " + kind + " " + extension.getClass().getName() + " of "
                        + origin.apply(extension) + " failed in name(): " + e, e);
            }
            T previous = byName.putIfAbsent(named, extension);
            if (previous != null && previous.getClass() != extension.getClass()) {
                throw new IllegalStateException("two " + plural(kind) + " are named '" + named + "': "
                        + previous.getClass().getName() + " of " + origin.apply(previous) + " and "
                        + extension.getClass().getName() + " of " + origin.apply(extension));
            }
        }
    }

    private static String plural(String kind) {
        return kind.endsWith("y") ? kind.substring(0, kind.length() - 1) + "ies" : kind + "s";
    }

    /** Every extension of this kind, by name. */
    Map<String, T> byName() {
        return java.util.Collections.unmodifiableMap(byName);
    }

    /** What the config calls this kind, e.g. "read strategy". */
    public String kind() {
        return kind;
    }

    /** The extension named {@code name}, or {@code null}. */
    public T find(String name) {
        return name == null ? null : byName.get(name);
    }

    /** The names that exist, for error messages. */
    public String available() {
        return byName.isEmpty() ? "(none: is the plugins folder right?)" : String.join(", ", byName.keySet());
    }
}
