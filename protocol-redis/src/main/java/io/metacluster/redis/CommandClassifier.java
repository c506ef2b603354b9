package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;

import java.util.Locale;

/**
 * Decides what a framed request is, as the {@link CommandTable} says: its name (subcommands
 * included), whether its arity is right, how it is routed ({@link CommandKind}) and where its keys
 * are ({@link KeyFinder}). Refusals carry Redis 7.0's own wording. A command Redis 7.0 does not
 * have is refused, or forwarded as the listener's {@code unknown-commands} option says; a server
 * command (CONFIG SET, BGSAVE, ...) as its {@code server-commands} option says.
 *
 * <p>Per connection (the key finder reuses a scratch array); confined to its event loop.
 */
final class CommandClassifier {
    private final CommandTable table;
    private final RedisOptions.Unknown unknown;
    private final RedisOptions.ServerCommands server;
    private final KeyFinder keyFinder = new KeyFinder();

    CommandClassifier(CommandTable table, RedisOptions.Unknown unknown, RedisOptions.ServerCommands server) {
        this.table = table;
        this.unknown = unknown;
        this.server = server;
    }

    /** {@link #classify(ByteBuf, RequestArgs, int)} on lane 0 (RESP2, database 0). */
    Command classify(ByteBuf frame, RequestArgs args) {
        return classify(frame, args, 0);
    }

    /**
     * The command {@code frame} holds, its arguments at {@code args}, to be carried on backend lane
     * {@code lane} (the client's {@link Session}). Takes ownership of {@code frame}.
     */
    Command classify(ByteBuf frame, RequestArgs args, int lane) {
        int count = args.count();
        try {
            CommandInfo info = table.lookup(frame, frame.readerIndex() + args.offset(0), args.length(0));
            if (info == null) {
                if (unknown == RedisOptions.Unknown.REJECT) {
                    return Command.unsupported(frame, "UNKNOWN", unknownCommand(frame, args), null);
                }
                // a module's command, forwarded as configured; its first argument taken as the key
                int[] key = count > 1 ? new int[]{args.offset(1), args.length(1)} : null;
                return Command.of(frame, args.text(frame, 0).toUpperCase(Locale.ROOT),
                        unknown == RedisOptions.Unknown.READ ? CommandKind.READ : CommandKind.WRITE, key, null, lane);
            }
            if (info.isContainer() && count >= 2) {
                CommandInfo sub = info.subcommands().lookup(frame, frame.readerIndex() + args.offset(1), args.length(1));
                if (sub == null) {
                    return Command.unsupported(frame, info.displayName(), "unknown subcommand '"
                            + truncate(args.text(frame, 1), 128) + "'. Try " + info.displayName() + " HELP.", info);
                }
                info = sub;
            }
            if (!info.arityAccepts(count)) {
                return Command.unsupported(frame, info.displayName(), arityError(info), info);
            }
            if (info.kind() == CommandKind.UNSUPPORTED) {
                return Command.unsupported(frame, info.displayName(), info.note().replace("{}", info.displayName()), info);
            }
            if (info.kind() == CommandKind.ADMIN) {
                return Command.of(frame, info.displayName(), CommandKind.ADMIN, null, info, lane);
            }
            CommandKind kind = info.kind();
            if (isServerCommand(info, frame, args)) {
                if (server == RedisOptions.ServerCommands.REFUSE) {
                    return Command.unsupported(frame, info.displayName(), info.displayName() + " is refused by metacluster:"
                            + " a server command; protocol-options server-commands: all-clusters sends it to every node"
                            + " of every cluster, read-cluster to the read cluster", info);
                }
                return Command.of(frame, info.displayName(), server == RedisOptions.ServerCommands.ALL_CLUSTERS
                        ? CommandKind.EVERY_NODE : CommandKind.READ, null, info, lane);
            }
            if (info.rules().blockOption() && blocks(frame, args) && Effects.blocks(info.rules().effect(), frame, args)) {
                if (!info.rules().effect().blocking()) {
                    return Command.unsupported(frame, info.displayName(), info.displayName()
                            + " with BLOCK is not supported by metacluster yet (blocking command)", info);
                }
                kind = CommandKind.PINNED;
            } else if (info.rules().effect() != Effects.Effect.NONE && Effects.applies(info.rules().effect(), frame, args)) {
                // a write whose outcome one cluster decides (SPOP, XADD *) is served there first, then its effect goes on
                kind = CommandKind.CONDITIONAL_WRITE;
            }
            int keys = keyFinder.find(info, frame, args.pairs(), count);
            return keys == 1
                    ? Command.of(frame, info.displayName(), kind, keyFinder.offset(0), keyFinder.length(0), info, lane)
                    : Command.of(frame, info.displayName(), kind, keyFinder.ranges(), info, lane);
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    /** CONFIG SET, BGSAVE, ... always; ACL LOG only with RESET. */
    private static boolean isServerCommand(CommandInfo info, ByteBuf frame, RequestArgs args) {
        return switch (info.rules().server()) {
            case NO -> false;
            case ALWAYS -> true;
            case WITH_RESET -> args.is(frame, args.count() - 1, "RESET");
        };
    }

    /** Redis's wording for a wrong number of arguments. */
    static String arityError(CommandInfo info) {
        return "wrong number of arguments for '" + info.name() + "' command";
    }

    /** XREAD/XREADGROUP options before STREAMS, parsed as Redis does: is BLOCK among them? */
    private static boolean blocks(ByteBuf frame, RequestArgs args) {
        for (int i = 1; i < args.count(); ) {
            if (args.is(frame, i, "STREAMS")) {
                return false;
            }
            if (args.is(frame, i, "BLOCK")) {
                return true;
            }
            i += args.is(frame, i, "COUNT") ? 2 : args.is(frame, i, "GROUP") ? 3 : 1;
        }
        return false;
    }

    /** Redis 7.0's wording, including its 128-byte cut of the name and of the quoted arguments. */
    private static String unknownCommand(ByteBuf frame, RequestArgs args) {
        StringBuilder shown = new StringBuilder();
        for (int i = 1; i < args.count() && shown.length() < 128; i++) {
            int room = 128 - shown.length();
            shown.append('\'').append(truncate(args.text(frame, i), room)).append("' ");
        }
        return "unknown command '" + truncate(args.text(frame, 0), 128) + "', with args beginning with: " + shown;
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
