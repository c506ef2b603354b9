package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;

import java.util.ArrayList;
import java.util.List;

/**
 * A client's WATCH ... EXEC, which only a backend connection of its own can carry: from WATCH on,
 * the client's commands are a conversation ({@link io.metacluster.spi.Pinning}) with its read
 * cluster, on that connection. MULTI, the commands and EXEC run there, as the client sent them;
 * EXEC, DISCARD, UNWATCH (outside MULTI) and RESET end it. What it wrote reaches the other
 * clusters after the read cluster decided ({@link Effects}): a write outside MULTI once it is
 * answered, and the transaction as one {@code MULTI ... EXEC} block, with each command's effect,
 * only when EXEC ran (not nil: no watched key changed).
 *
 * <p>Each command of it becomes a {@link CommandKind#PINNED} command with a {@link Watched}
 * detail, decided when it is read. Per connection; confined to its event loop.
 */
final class WatchedTransaction {

    /** What a command is in a watched conversation. */
    enum Step {
        /** WATCH, MULTI and the like: nothing to propagate. */
        SETUP,
        /** Outside MULTI: its own write (or effect, or nothing for a read) goes to the others once answered. */
        DIRECT,
        /** Queued inside MULTI on the backend: propagated with the EXEC block, if EXEC runs. */
        QUEUED,
        /** EXEC: the end; the queued commands' writes go to the others as one block when it ran. */
        EXEC,
        /** DISCARD, UNWATCH outside MULTI, RESET: the end, with nothing to propagate. */
        ENDS
    }

    /**
     * The detail of a command of a watched conversation.
     *
     * @param info   its command-table entry
     * @param kind   what it would be outside the conversation (how its write propagates)
     * @param queued for EXEC: the commands queued on the backend, in order, one reference each,
     *               released once the EXEC reply was seen (or the client left); empty otherwise
     */
    record Watched(CommandInfo info, CommandKind kind, Step step, List<Command> queued) {
        boolean ends() {
            return step == Step.EXEC || step == Step.ENDS;
        }
    }

    private boolean active;
    private boolean inMulti;
    private List<Command> queued = new ArrayList<>();
    /** EXECs sent and not yet answered: their queued commands are released when the client leaves. */
    private final List<List<Command>> unanswered = new ArrayList<>();

    boolean active() {
        return active;
    }

    /** WATCH outside a transaction: the conversation starts. */
    Command begin(Command command) {
        active = true;
        return pinned(command, CommandKind.PINNED, Step.SETUP, List.of());
    }

    /** What {@code command}, read while watching, is (it is returned, or its frame moves on). */
    Command admit(Command command) {
        if (!(command.detail() instanceof CommandInfo info) || command.kind() == CommandKind.UNSUPPORTED) {
            return command; // refused by the proxy; inside MULTI the backend's transaction goes on without it
        }
        switch (info.rules().inMulti()) {
            case WATCHES, BEGINS -> {
                // inside MULTI the backend answers with its own error, as Redis does
                inMulti |= info.rules().inMulti() == CommandRules.InMulti.BEGINS;
                return pinned(command, command.kind(), Step.SETUP, List.of());
            }
            case EXECUTES -> {
                if (!inMulti) {
                    return refuse(command, "EXEC without MULTI");
                }
                List<Command> block = queued;
                unanswered.removeIf(List::isEmpty);
                unanswered.add(block);
                queued = new ArrayList<>();
                active = inMulti = false;
                return pinned(command, command.kind(), Step.EXEC, block);
            }
            case DISCARDS -> {
                if (!inMulti) {
                    return refuse(command, "DISCARD without MULTI");
                }
                return ends(command);
            }
            case AT_ONCE -> {
                return info.name().equals("reset") ? ends(command) : command; // QUIT: answered by the proxy
            }
            default -> {
                if (info.name().equals("unwatch") && !inMulti) {
                    return ends(command);
                }
                if (info.name().equals("select") || info.name().equals("hello")) {
                    // the conversation's connection is in the database and protocol of the WATCH: commands after a switch
                    // would run in the old database there, and their writes propagate in the new one
                    return refuse(command, command.name() + " while WATCH is active is not supported by metacluster"
                            + " (UNWATCH first)");
                }
                if (command.kind() == CommandKind.PINNED && !info.rules().effect().blocking()) {
                    return refuse(command, command.name() + " while WATCH is active is not supported by metacluster");
                }
                boolean queueable = command.kind() != CommandKind.ADMIN && command.kind() != CommandKind.ASIDE
                        && command.kind() != CommandKind.EVERY_NODE
                        || info.rules().inMulti() == CommandRules.InMulti.QUEUED || info.name().equals("unwatch");
                if (!queueable) {
                    return command; // AUTH, HELLO, CLIENT SETNAME, ...: the proxy's own connection state; SCRIPT KILL, CONFIG SET
                }
                if (inMulti) {
                    queued.add(command.retain());
                    return pinned(command, command.kind(), Step.QUEUED, List.of());
                }
                return command.kind() == CommandKind.ADMIN ? command : pinned(command, command.kind(), Step.DIRECT, List.of());
            }
        }
    }

    private Command ends(Command command) {
        release(queued);
        active = inMulti = false;
        return pinned(command, command.kind(), Step.ENDS, List.of());
    }

    /** The client left: what is still held is released. */
    void end() {
        release(queued);
        unanswered.forEach(WatchedTransaction::release);
        unanswered.clear();
        active = inMulti = false;
    }

    /** Releases and empties {@code commands} (an EXEC's once its reply was seen). */
    static void release(List<Command> commands) {
        commands.forEach(Command::release);
        commands.clear();
    }

    /** {@code command} as a conversation's step (WATCH's, or {@link ClientTracking}'s); its frame moves on. */
    static Command pinned(Command command, CommandKind kind, Step step, List<Command> queued) {
        CommandInfo info = (CommandInfo) command.detail();
        int[] keys = new int[2 * command.keyCount()];
        for (int i = 0; i < command.keyCount(); i++) {
            keys[2 * i] = command.keyOffset(i);
            keys[2 * i + 1] = command.keyLength(i);
        }
        return Command.of(command.frame(), command.name(), CommandKind.PINNED, keys, new Watched(info, kind, step, queued),
                command.lane());
    }

    private static Command refuse(Command command, String reason) {
        return Command.unsupported(command.frame(), command.name(), reason, command.detail());
    }
}
