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

    Extensions(String kind, Collection<? extends T> extensions, Function<T, String> name) {
        this.kind = kind;
        for (T extension : extensions) {
            T previous = byName.putIfAbsent(name.apply(extension), extension);
            if (previous != null && previous.getClass() != extension.getClass()) {
                throw new IllegalStateException("two " + kind + "s are named '" + name.apply(extension) + "': "
                        + previous.getClass().getName() + " and " + extension.getClass().getName());
            }
        }
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
