package io.metacluster.redis;

import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Monitoring;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * {@code MONITOR} for one client connection, both ways: as the monitor it may become (the engine
 * streams it every request of the listener's clients; like a Redis monitor, which is a replica to
 * the server, it may then not touch the keyspace), and as the sender whose requests monitors are
 * shown ({@link Monitoring}), with redis-server 7.0's rules: what it refuses is not shown, nor
 * are admin commands (CONFIG, CLIENT LIST, MONITOR ...); AUTH and HELLO's credentials are
 * redacted; a transaction's commands are shown when EXEC runs, before it. Lines are made when the
 * proxy receives a request (Redis: when it has run), so a SELECT shows the database it selects.
 *
 * <p>Per connection; confined to its event loop.
 */
final class MonitorMode implements Monitoring {
    static final String KEYSPACE = "Replica can't interact with the keyspace";

    private final Session session;
    private boolean monitoring;

    MonitorMode(Session session) {
        this.session = session;
    }

    /** MONITOR: {@code +OK}, then the stream; nothing at all when already monitoring, as Redis. */
    ByteBuf start(ClientContext ctx) {
        if (monitoring) {
            return null;
        }
        monitoring = true;
        ctx.monitor(true);
        return RespWriter.simple(ctx.alloc(), "OK");
    }

    /** Whether this connection monitors (CLIENT LIST's flag {@code O}). */
    boolean active() {
        return monitoring;
    }

    /** RESET: no longer a monitor. */
    void reset(ClientContext ctx) {
        if (monitoring) {
            monitoring = false;
            ctx.monitor(false);
        }
    }

    /** A monitor's command that reads or writes the keyspace is refused with Redis's words; the rest is unchanged. */
    Command admit(Command command) {
        if (!monitoring || command.kind() == CommandKind.UNSUPPORTED || command.kind() == CommandKind.ADMIN) {
            return command;
        }
        boolean keyspace = !(command.detail() instanceof CommandInfo info) || info.flags().contains("readonly")
                || info.flags().contains("write") || info.flags().contains("may_replicate");
        return keyspace ? Command.unsupported(command.frame(), command.name(), KEYSPACE, command.detail()) : command;
    }

    @Override
    public ByteBuf describe(Command command, ClientContext sender) {
        Object detail = command.detail();
        if (detail instanceof Transaction.Queued) {
            return null; // shown with its EXEC
        }
        if (detail instanceof Transaction.Exec exec) {
            return MonitorLines.transaction(sender.alloc(), command.frame(), exec.commands(), session.database(),
                    sender.remoteAddress());
        }
        CommandInfo info = detail instanceof CommandInfo row ? row
                : detail instanceof WatchedTransaction.Watched watched ? watched.info() : null;
        if (command.kind() == CommandKind.UNSUPPORTED && !ranInRedis(command, info)) {
            return null;
        }
        if (info != null && info.flags().contains("admin")) {
            return null;
        }
        String name = info == null ? "" : info.name();
        MonitorLines.Redaction redaction = name.equals("auth") ? MonitorLines.Redaction.ALL
                : name.equals("hello") ? MonitorLines.Redaction.AFTER_AUTH : MonitorLines.Redaction.NONE;
        int db = session.database();
        if (name.equals("select") && command.kind() == CommandKind.ADMIN) {
            byte[] arg = AdminCommands.args(command.frame()).get(1);
            long selected = RespSplitter.parseDecimal(Unpooled.wrappedBuffer(arg), 0, arg.length);
            if (selected >= 0 && selected < Session.DATABASES) {
                db = (int) selected;
            }
        }
        return MonitorLines.line(sender.alloc(), command.frame(), db, sender.remoteAddress(), redaction);
    }

    /**
     * Refusals of the proxy's that Redis makes inside the command itself, which it shows: EXEC or
     * DISCARD without MULTI, an EXEC aborted by an earlier refusal, MULTI or WATCH inside MULTI.
     * Whatever Redis refuses before running a command (unknown, wrong arity) is not shown.
     */
    private static boolean ranInRedis(Command command, CommandInfo info) {
        if (info == null || command.rejection().equals(CommandClassifier.arityError(info))) {
            return false;
        }
        return switch (info.rules().inMulti()) {
            case BEGINS, WATCHES, EXECUTES, DISCARDS -> true;
            default -> false;
        };
    }
}
