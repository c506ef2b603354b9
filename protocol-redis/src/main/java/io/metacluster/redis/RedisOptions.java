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
 * @param serverCommands  what to do with server control ({@code CONFIG SET/REWRITE/RESETSTAT},
 *                        {@code ACL SETUSER/DELUSER/LOAD/SAVE}, {@code ACL LOG RESET},
 *                        {@code SLOWLOG RESET}, {@code LATENCY RESET}, {@code MEMORY PURGE},
 *                        {@code SAVE}, {@code BGSAVE}, {@code BGREWRITEAOF}; the {@code server}
 *                        column of {@code proxy-rules.tsv}): {@code refuse} (default: an error
 *                        that names this option), {@code all-clusters} (every node of every
 *                        cluster, each on a connection of its own; the reply when all nodes gave
 *                        the same one, else an error naming the clusters that differ; a node that
 *                        is down is not replayed to) or {@code read-cluster} (the cluster the
 *                        client's reads use, only)
 */
public record RedisOptions(String unknownCommands, String serverCommands) {
    public enum Unknown { REJECT, READ, WRITE }

    public enum ServerCommands { REFUSE, ALL_CLUSTERS, READ_CLUSTER }

    public RedisOptions {
        unknownCommands = unknownCommands == null ? "reject" : unknownCommands;
        serverCommands = serverCommands == null ? "refuse" : serverCommands;
        unknown(unknownCommands);
        server(serverCommands);
    }

    /** Only {@code unknown-commands} set; server commands refused. */
    public RedisOptions(String unknownCommands) {
        this(unknownCommands, null);
    }

    /** Every option at its default. */
    static final RedisOptions DEFAULTS = new RedisOptions(null, null);

    Unknown unknown() {
        return unknown(unknownCommands);
    }

    ServerCommands server() {
        return server(serverCommands);
    }

    private static Unknown unknown(String value) {
        try {
            return Unknown.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown-commands must be reject, read or write, got '" + value + "'");
        }
    }

    private static ServerCommands server(String value) {
        try {
            return ServerCommands.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("server-commands must be refuse, all-clusters or read-cluster, got '"
                    + value + "'");
        }
    }
}
