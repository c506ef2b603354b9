package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBufAllocator;

/**
 * One client connection's MULTI ... EXEC state: outside a transaction, or queueing one
 * ({@link Transaction}). {@link #admit} turns each classified command into what it is in the
 * current state, by its {@link CommandRules.InMulti} rule: inside MULTI a read or a write becomes
 * a {@link Transaction.Queued} command (ADMIN: the proxy answers {@code +QUEUED}), EXEC becomes the
 * whole transaction as one command to forward, and what cannot be queued is refused, which makes
 * EXEC answer EXECABORT, as Redis does. After WATCH, the client's commands are a
 * {@link WatchedTransaction}'s until it ends. MULTI, DISCARD and an empty EXEC change the state when
 * {@link AdminCommands} answers them ({@link #begin}, {@link #end}).
 *
 * <p>Per connection; confined to its event loop.
 */
final class TransactionState {
    private final ClientLimits limits;
    /** The client's MULTI ... EXEC being queued, or {@code null} outside a transaction. */
    private Transaction transaction;
    /** The client's WATCH ... EXEC, which runs on a connection of its own. */
    private final WatchedTransaction watch = new WatchedTransaction();

    TransactionState(ClientLimits limits) {
        this.limits = limits;
    }

    /** What {@code command} is in the current state; takes it over (it is returned, or its frame moves on). */
    Command admit(Command command) {
        if (watch.active()) {
            return watch.admit(command);
        }
        CommandRules.InMulti rule = command.detail() instanceof CommandInfo info ? info.rules().inMulti()
                : CommandRules.InMulti.BY_KIND;
        if (transaction == null) {
            if (rule == CommandRules.InMulti.WATCHES) {
                return watch.begin(command);
            }
            return rule == CommandRules.InMulti.EXECUTES || rule == CommandRules.InMulti.DISCARDS
                    ? refuse(command, command.name() + " without MULTI") : command;
        }
        if (command.detail() instanceof CommandInfo info && info.flags().contains("no_multi")
                && rule != CommandRules.InMulti.EXECUTES && rule != CommandRules.InMulti.DISCARDS) {
            // SAVE, SHUTDOWN, SYNC, PSYNC: Redis's own refusal comes before any of the proxy's, and aborts the EXEC
            transaction.abort();
            return refuse(command, "Command not allowed inside a transaction");
        }
        return switch (rule) {
            case BEGINS -> refuse(command, "MULTI calls can not be nested");
            case WATCHES -> refuse(command, command.name() + " inside MULTI is not allowed");
            case EXECUTES -> exec(command);
            case DISCARDS, AT_ONCE -> command; // executed at once, as Redis does
            case QUEUED -> queued(command);
            case BY_KIND -> command.kind() == CommandKind.READ || command.kind() == CommandKind.WRITE
                    || command.kind() == CommandKind.CONDITIONAL_WRITE ? queued(command) : abort(command);
        };
    }

    private static Command queued(Command command) {
        return Command.of(command.frame(), command.name(), CommandKind.ADMIN, null, new Transaction.Queued(command),
                command.lane());
    }

    /** As Redis: a command refused while queueing fails the EXEC. */
    private Command abort(Command command) {
        transaction.abort();
        return command.kind() == CommandKind.UNSUPPORTED ? command
                : refuse(command, command.name() + " inside MULTI is not supported by metacluster");
    }

    /** EXEC: the transaction as one command to forward, or the local answer for an empty or aborted one. */
    private Command exec(Command command) {
        Transaction ending = transaction;
        if (ending.aborted()) {
            end();
            return refuse(command, Transaction.EXECABORT);
        }
        if (ending.isEmpty()) {
            return command; // answered "*0" by AdminCommands, which ends the transaction
        }
        transaction = null;
        ByteBufAllocator alloc = command.frame().alloc();
        CommandInfo info = (CommandInfo) command.detail();
        command.release();
        return ending.exec(alloc, info, command.lane());
    }

    /** {@code command} answered with an error instead; its frame moves to the refusal. */
    private static Command refuse(Command command, String reason) {
        return Command.unsupported(command.frame(), command.name(), reason, command.detail());
    }

    /** Whether a MULTI is being queued or a WATCH is active: the client's commands are the transaction's. */
    boolean open() {
        return transaction != null || watch.active();
    }

    /** Commands queued in the current MULTI, or -1 outside one (CLIENT LIST's {@code multi}). */
    int queued() {
        return transaction == null ? -1 : transaction.size();
    }

    /** MULTI: queueing starts. */
    void begin() {
        transaction = new Transaction(limits);
    }

    /** DISCARD, RESET, an empty EXEC, or the connection closed: the queued commands are dropped. */
    void end() {
        if (transaction != null) {
            transaction.discard();
            transaction = null;
        }
    }

    /** The connection closed: whatever either sort of transaction holds is released. */
    void closed() {
        end();
        watch.end();
    }

    /**
     * Queues a command of the transaction (from {@link AdminCommands}, which answers QUEUED),
     * taking over one reference. Returns the error to answer instead, or {@code null}.
     */
    String queue(Command command) {
        if (transaction == null) { // cannot happen: queued commands are only made inside MULTI
            command.release();
            return "no transaction to queue " + command.name() + " in";
        }
        return transaction.add(command);
    }
}
