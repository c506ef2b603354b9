package io.metacluster.redis;

import io.metacluster.spi.Pinning;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the proxy itself does with one command beyond routing it by its kind, from
 * {@code proxy-rules.tsv}: the table that replaces switches on command names. Immutable; one per
 * {@link CommandInfo}, read on the request path as plain fields.
 *
 * @param inMulti      what it does inside (or to) a MULTI ... EXEC
 * @param whilePinned  where it goes while the client is subscribed
 * @param split        how it is split over the nodes of a sharded cluster
 * @param blockOption  whether it is refused when called with BLOCK (XREAD, XREADGROUP)
 * @param effect       how its outcome reaches the other clusters when one cluster decides it ({@link Effects})
 * @param keys         how its keys are found
 * @param server       whether it is a server command, routed as {@code server-commands} says
 */
record CommandRules(InMulti inMulti, Pinning.Route whilePinned, Split split, boolean blockOption, Effects.Effect effect,
                    Keys keys, Server server) {
    private static final String RESOURCE = "proxy-rules.tsv";

    /** The rules of a command that {@code proxy-rules.tsv} does not list. */
    static final CommandRules DEFAULT = new CommandRules(InMulti.BY_KIND, Pinning.Route.REFUSE, Split.NONE, false,
            Effects.Effect.NONE, Keys.SPECS, Server.NO);

    /** What a command does inside, or to, a client's MULTI ... EXEC ({@link TransactionState}). */
    enum InMulti {
        /** Queued when it is a read or a write; anything else is refused, which aborts the transaction. */
        BY_KIND,
        /** Queued although the proxy answers it outside a transaction: the server answers it inside EXEC (PING, ECHO). */
        QUEUED,
        /** Executed at once, not queued, as Redis does (QUIT, RESET). */
        AT_ONCE,
        /** Starts a transaction (MULTI); refused inside one. */
        BEGINS,
        /** Ends the transaction by forwarding it (EXEC); refused outside one. */
        EXECUTES,
        /** Ends the transaction by dropping it (DISCARD); refused outside one. */
        DISCARDS,
        /**
         * Refused inside a transaction with "X inside MULTI is not allowed"; outside one, starts a
         * watched conversation on a connection of the client's own (WATCH, {@link WatchedTransaction}).
         */
        WATCHES
    }

    /** How a multi-key command is served by a sharded cluster ({@link ShardSplitter}). */
    enum Split {
        /** Not split: served only by a cluster that has all its keys on one node. */
        NONE,
        /** One part per node for its keys; the joined reply has every part's values in the order of the keys (MGET). */
        KEY_ORDER,
        /** One part per node for its keys; the joined reply adds the parts' counts (DEL, EXISTS, ...). */
        SUM,
        /** Key-value pairs, one part per node for its keys with their values; the joined reply is OK (MSET). */
        PAIRS
    }

    /** How {@link KeyFinder} finds a command's keys. */
    enum Keys {
        /** By the command's key specs, as Redis's getKeysUsingKeySpecs does. */
        SPECS,
        /** By Redis's sortGetKeys: the sorted key and the STORE destination. */
        SORT,
        /** By Redis's migrateGetKeys: argument 3, or everything after KEYS. */
        MIGRATE
    }

    /** Whether a command is server control, routed as the listener's {@code server-commands} option says. */
    enum Server {
        /** An ordinary command. */
        NO,
        /** Always a server command (CONFIG SET, BGSAVE, ...). */
        ALWAYS,
        /** Only when its last argument is RESET (ACL LOG RESET); otherwise routed by its kind. */
        WITH_RESET
    }

    /** The rules shipped with the plugin, by command name ({@code get}, {@code config|get}). */
    static Map<String, CommandRules> load() {
        return parse(Tsv.resource(RESOURCE));
    }

    static Map<String, CommandRules> parse(List<Tsv.Row> rows) {
        Map<String, CommandRules> rules = new HashMap<>();
        for (Tsv.Row row : rows) {
            String[] c = row.columns(9);
            try {
                rules.put(c[0], new CommandRules(
                        value(c[1], InMulti.class, DEFAULT.inMulti),
                        value(c[2], Pinning.Route.class, DEFAULT.whilePinned),
                        value(c[3], Split.class, DEFAULT.split),
                        yes(c[4]),
                        value(c[5], Effects.Effect.class, DEFAULT.effect),
                        value(c[6], Keys.class, DEFAULT.keys),
                        value(c[7], Server.class, DEFAULT.server)));
            } catch (IllegalArgumentException e) {
                throw row.error(e.getMessage());
            }
        }
        return rules;
    }

    private static boolean yes(String text) {
        if (!text.equals("yes") && !text.equals("-")) {
            throw new IllegalArgumentException("expected yes or -, got '" + text + "'");
        }
        return text.equals("yes");
    }

    /** {@code at-once} is {@code AT_ONCE}; {@code -} is the default. */
    private static <E extends Enum<E>> E value(String text, Class<E> type, E fallback) {
        return text.equals("-") ? fallback : Enum.valueOf(type, text.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
