package io.metacluster.redis;

import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * {@code CLIENT PAUSE timeout [WRITE|ALL]} and {@code CLIENT UNPAUSE} over the proxy's own client
 * connections (the listener's, on every I/O thread; the engine holds their commands, see
 * {@link ClientContext#pauseClients}), with Redis 7.0.15's syntax and errors (networking.c,
 * timeout.c), and what a pause of writes holds: what Redis 7.0 pauses in WRITE mode
 * (server.c processCommand), the commands flagged {@code write} or {@code may_replicate}. The
 * backends are not paused.
 */
final class PauseCommands {
    /** Redis 7.0's {@code MAY_REPLICATE} commands (src/commands/*.json): not in COMMAND INFO, so not in the table. */
    private static final Set<String> MAY_REPLICATE = Set.of("eval", "evalsha", "fcall", "pfcount", "publish", "spublish");

    /** The script flags Redis 7.0 knows (script.c scripts_flags_def). */
    private static final Set<String> SCRIPT_FLAGS = Set.of("no-writes", "allow-oom", "allow-stale", "no-cluster",
            "allow-cross-slot-keys");

    private PauseCommands() {
    }

    /** {@code CLIENT PAUSE timeout [WRITE|ALL]}: the mode is checked before the timeout, as Redis does. */
    static ByteBuf pause(ClientContext ctx, List<byte[]> args) {
        ByteBufAllocator alloc = ctx.alloc();
        if (args.size() > 4) {
            return RespWriter.error(alloc, "unknown subcommand or wrong number of arguments for '" + text(args.get(1))
                    + "'. Try CLIENT HELP.");
        }
        boolean writesOnly = false;
        if (args.size() == 4) {
            String mode = text(args.get(3));
            if (mode.equalsIgnoreCase("write")) {
                writesOnly = true;
            } else if (!mode.equalsIgnoreCase("all")) {
                return RespWriter.error(alloc, "CLIENT PAUSE mode must be WRITE or ALL");
            }
        }
        byte[] timeout = args.get(2);
        long ms = RespSplitter.parseDecimal(Unpooled.wrappedBuffer(timeout), 0, timeout.length);
        if (ms == Long.MIN_VALUE || timeout.length == 0) {
            return RespWriter.error(alloc, "timeout is not an integer or out of range");
        }
        if (ms < 0) {
            return RespWriter.error(alloc, "timeout is negative");
        }
        // as timeout.c: 0 is an end time of 0 (no pause), and a sum that overflows wraps to an end in the past
        ctx.pauseClients(ms == 0 ? 0 : ms + System.currentTimeMillis(), writesOnly);
        return RespWriter.simple(alloc, "OK");
    }

    /** {@code CLIENT UNPAUSE}. */
    static ByteBuf unpause(ClientContext ctx) {
        ctx.unpauseClients();
        return RespWriter.simple(ctx.alloc(), "OK");
    }

    /**
     * Whether Redis 7.0 pauses {@code command} in WRITE mode: a {@code write} or
     * {@code may_replicate} command, queued in MULTI or not; an EXEC whose transaction writes; an
     * EVAL unless its shebang declares {@code no-writes} (what Redis reads of a script's flags;
     * an FCALL's function flags are the server's, so every FCALL is held).
     */
    static boolean heldByWritePause(Command command) {
        Object detail = command.detail();
        if (detail instanceof Transaction.Queued queued) {
            return heldByWritePause(queued.command());
        }
        if (detail instanceof Transaction.Exec) {
            return command.kind() != CommandKind.READ;
        }
        if (detail instanceof WatchedTransaction.Watched watched) {
            return switch (watched.step()) {
                case SETUP, ENDS -> false;
                case DIRECT, QUEUED -> writes(watched.info(), command.frame());
                case EXEC -> watched.queued().stream().anyMatch(PauseCommands::heldByWritePause);
            };
        }
        if (detail instanceof CommandInfo info) {
            return writes(info, command.frame());
        }
        return command.kind() == CommandKind.WRITE || command.kind() == CommandKind.CONDITIONAL_WRITE; // unknown-commands
    }

    private static boolean writes(CommandInfo info, ByteBuf frame) {
        if (info.flags().contains("write")) {
            return true;
        }
        if (!MAY_REPLICATE.contains(info.name())) {
            return false;
        }
        if (info.name().equals("eval") || info.name().equals("evalsha")) {
            int[] args = MultibulkArgs.of(frame); // an EVALSHA of a script the proxy knows left as EVAL with its body
            boolean eval = frame.toString(frame.readerIndex() + args[0], args[1], StandardCharsets.ISO_8859_1)
                    .equalsIgnoreCase("eval");
            return !eval || !declaresNoWrites(frame.toString(frame.readerIndex() + args[2], args[3], StandardCharsets.UTF_8));
        }
        return true;
    }

    /**
     * A shebang ({@code #!lua flags=no-writes,...}) that declares {@code no-writes}, as eval.c's
     * evalExtractShebangFlags reads it: a script it cannot read keeps the command's own flags.
     */
    static boolean declaresNoWrites(String body) {
        int eol = body.indexOf('\n');
        if (!body.startsWith("#!") || eol < 0) {
            return false;
        }
        String[] parts = body.substring(0, eol).trim().split("\\s+");
        boolean noWrites = false;
        for (int i = 1; i < parts.length && parts[0].equals("#!lua"); i++) {
            if (!parts[i].startsWith("flags=")) {
                return false;
            }
            for (String flag : parts[i].substring(6).split(",", -1)) {
                if (!SCRIPT_FLAGS.contains(flag)) {
                    return false;
                }
                noWrites |= flag.equals("no-writes");
            }
        }
        return noWrites;
    }

    private static String text(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8);
    }
}
