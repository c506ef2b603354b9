package io.metacluster.redis;

import java.util.Locale;

/**
 * A redis listener's {@code protocol-options}.
 *
 * @param unknownCommands what to do with a command that Redis 7.0 does not have (a module's,
 *                        such as {@code JSON.SET}): {@code reject} (default: a clear error),
 *                        {@code read} (served by one cluster) or {@code write} (sent to every
 *                        cluster). Forwarded ones are routed by their first argument as the
 *                        key and are never verified
 */
public record RedisOptions(String unknownCommands) {
    public enum Unknown { REJECT, READ, WRITE }

    public RedisOptions {
        unknownCommands = unknownCommands == null ? "reject" : unknownCommands;
        unknown(unknownCommands);
    }

    Unknown unknown() {
        return unknown(unknownCommands);
    }

    private static Unknown unknown(String value) {
        try {
            return Unknown.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown-commands must be reject, read or write, got '" + value + "'");
        }
    }
}
