package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A client's {@code CLIENT TRACKING} (client-side caching), carried by a backend connection of its
 * own to its read cluster: the server there tracks what the client reads on that connection and
 * sends it {@code invalidate} pushes when any writer changes those keys: this proxy's other
 * clients, another proxy, anyone writing to that server. The proxy forwards them as they come
 * ({@link PubSubPolicy#unsolicited}). Tracking the keys in the proxy instead would miss the writes
 * of other proxies.
 *
 * <p>From {@code CLIENT TRACKING ON} to {@code CLIENT TRACKING OFF} (or RESET) the client's
 * commands are a conversation ({@link io.metacluster.spi.Pinning}) on that connection, as a
 * WATCH's are ({@link WatchedTransaction.Watched} details): its reads and writes of keys go there
 * (so the server tracks the reads, NOLOOP spares the client its own writes, and a read sees the
 * client's earlier writes), and each write then goes to the other clusters as it is, or as its
 * effect ({@link Effects}); {@code CLIENT CACHING}, {@code TRACKINGINFO} and {@code GETREDIR} are
 * answered there too. Without tracking, those three and {@code CLIENT TRACKING OFF} are answered by
 * the read cluster on a shared connection, where tracking is always off, which is their answer for
 * a client that does not track. {@code REDIRECT} is refused: its target would be another
 * connection of the same server, which a client of the proxy cannot name.
 *
 * <p>Per connection; confined to its event loop.
 */
final class ClientTracking {
    static final String REDIRECT_REFUSED = "CLIENT TRACKING REDIRECT is not supported by metacluster: use RESP3"
            + " (HELLO 3) and CLIENT TRACKING ON without REDIRECT (the invalidations then come as push messages"
            + " on the same connection)";

    private boolean on;

    /** Whether the client's commands are a tracking conversation now. */
    boolean on() {
        return on;
    }

    /**
     * What {@code command} (classified, not yet admitted by the {@link TransactionState}) is for a
     * tracking client, or, for {@code CLIENT TRACKING}, for any client; {@code args} are its
     * arguments. Inside MULTI or WATCH ({@code inTransaction}), or while subscribed, nothing
     * changes: that mode decides (a transaction refuses CLIENT TRACKING, a pinned command; a RESP2
     * subscription too, in Redis's words). A RESP3 subscriber's CLIENT TRACKING is refused: its
     * reads do not travel on the subscribed connection, which would track none of them.
     * Takes over {@code command}.
     */
    Command admit(Command command, RequestArgs args, boolean inTransaction, boolean subscribed) {
        if (command.kind() == CommandKind.UNSUPPORTED || !(command.detail() instanceof CommandInfo info)) {
            return command;
        }
        if (subscribed && info.name().equals("client|tracking") && Session.resp3(command.lane())) {
            return refuse(command, "CLIENT TRACKING while subscribed is not supported by metacluster (use another"
                    + " connection)");
        }
        if (inTransaction || subscribed) {
            return command;
        }
        if (info.name().equals("client|tracking")) {
            return tracking(command, info, args);
        }
        if (!on) {
            return command;
        }
        switch (info.name()) {
            case "client|caching", "client|trackinginfo", "client|getredir" -> {
                return WatchedTransaction.pinned(command, command.kind(), WatchedTransaction.Step.SETUP, List.of());
            }
            case "reset" -> {
                on = false; // the server's RESET turns tracking off; the connection closes after its reply
                return WatchedTransaction.pinned(command, command.kind(), WatchedTransaction.Step.ENDS, List.of());
            }
            case "select", "hello" -> {
                // the tracking connection is in the database and protocol of CLIENT TRACKING ON
                return refuse(command, command.name() + " while CLIENT TRACKING is on is not supported by metacluster"
                        + " (CLIENT TRACKING OFF first)");
            }
            default -> {
            }
        }
        return switch (command.kind()) {
            case READ, WRITE, CONDITIONAL_WRITE -> command.keyCount() == 0 ? command // INFO, FLUSHALL...: nothing to track
                    : WatchedTransaction.pinned(command, command.kind(), WatchedTransaction.Step.DIRECT, List.of());
            case PINNED -> info.rules().effect().blocking()
                    ? WatchedTransaction.pinned(command, command.kind(), WatchedTransaction.Step.DIRECT, List.of())
                    : refuse(command, command.name() + " while CLIENT TRACKING is on is not supported by metacluster"
                            + " (use another connection)"); // WATCH, SUBSCRIBE: a second pinned mode
            default -> command;
        };
    }

    /** CLIENT TRACKING ON|OFF [options]: its stateless errors as Redis 7.0 words them, then on or off. */
    private Command tracking(Command command, CommandInfo info, RequestArgs args) {
        ByteBuf frame = command.frame();
        String error = optionsError(frame, args);
        if (error != null) {
            return refuse(command, error);
        }
        if (args.is(frame, 2, "OFF")) {
            if (!on) {
                // nothing tracks: the read cluster answers on a shared connection, on which tracking is off anyway
                return Command.of(frame, command.name(), CommandKind.READ, null, info, command.lane());
            }
            on = false;
            return WatchedTransaction.pinned(command, CommandKind.READ, WatchedTransaction.Step.ENDS, List.of());
        }
        on = true; // again while on: the server checks the change against the mode it tracks in
        return WatchedTransaction.pinned(command, CommandKind.READ, WatchedTransaction.Step.SETUP, List.of());
    }

    /**
     * The error Redis 7.0 (networking.c, clientCommand) answers for these arguments before it looks
     * at the client's tracking state, or {@code null}; REDIRECT gets the proxy's refusal instead of
     * Redis's check of the ID.
     */
    static String optionsError(ByteBuf frame, RequestArgs args) {
        boolean bcast = false;
        boolean optin = false;
        boolean optout = false;
        List<String> prefixes = new ArrayList<>();
        for (int j = 3; j < args.count(); j++) {
            boolean more = j + 1 < args.count();
            if (args.is(frame, j, "REDIRECT") && more) {
                return REDIRECT_REFUSED; // where Redis would check the ID, before any later option
            } else if (args.is(frame, j, "BCAST")) {
                bcast = true;
            } else if (args.is(frame, j, "OPTIN")) {
                optin = true;
            } else if (args.is(frame, j, "OPTOUT")) {
                optout = true;
            } else if (args.is(frame, j, "NOLOOP")) {
                continue;
            } else if (args.is(frame, j, "PREFIX") && more) {
                prefixes.add(args.text(frame, ++j));
            } else {
                return "syntax error";
            }
        }
        if (args.is(frame, 2, "OFF")) {
            return null; // Redis turns tracking off whatever the options were
        }
        if (!args.is(frame, 2, "ON")) {
            return "syntax error";
        }
        if (!bcast && !prefixes.isEmpty()) {
            return "PREFIX option requires BCAST mode to be enabled";
        }
        if (bcast && (optin || optout)) {
            return "OPTIN and OPTOUT are not compatible with BCAST";
        }
        if (optin && optout) {
            return "You can't specify both OPTIN mode and OPTOUT mode";
        }
        for (int i = 0; i < prefixes.size(); i++) {
            for (int k = i + 1; k < prefixes.size(); k++) {
                String a = prefixes.get(i);
                String b = prefixes.get(k);
                if (a.startsWith(b) || b.startsWith(a)) {
                    return "Prefix '" + a + "' overlaps with another provided prefix '" + b
                            + "'. Prefixes for a single client must not overlap.";
                }
            }
        }
        return null;
    }

    /** Refused by the proxy; no detail, so that neither the transaction nor the pinned mode takes it for theirs. */
    private static Command refuse(Command command, String reason) {
        return Command.unsupported(command.frame(), command.name(), reason, null);
    }
}
