package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.PeerAside;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * {@code CLIENT UNBLOCK id [TIMEOUT|ERROR]} about the proxy's own client {@code id}: a client
 * blocked in a blocking command waits on a backend connection of its own (PINNED, a
 * conversation), which said its server-side number when it opened ({@code CLIENT ID}, see
 * {@link PubSubPolicy#identify}); the engine sends {@code CLIENT UNBLOCK number reason} to that
 * connection's node on a connection of its own ({@link PeerAside}), and the server's {@code :1} or
 * {@code :0} is the answer. The blocked command then gets the server's own timeout reply or
 * {@code -UNBLOCKED} error on its connection, and since nothing was popped, nothing is propagated.
 * A client with no such connection gets {@code :0}, as Redis answers for a client that is not
 * blocked. Syntax and errors are Redis 7.0.15's (networking.c).
 *
 * @param client the proxy's client id
 * @param error  ERROR rather than TIMEOUT
 */
record UnblockCommand(long client, boolean error) implements PeerAside {

    /** {@code command} with its arguments checked: this as its detail, or refused with Redis's error. */
    static Command admit(Command command) {
        if (command.kind() != CommandKind.ASIDE || !(command.detail() instanceof CommandInfo info)
                || !info.name().equals("client|unblock")) {
            return command;
        }
        ByteBuf frame = command.frame();
        int[] args = MultibulkArgs.of(frame);
        int argc = args.length / 2;
        if (argc > 4) {
            return Command.unsupported(frame, command.name(), "unknown subcommand or wrong number of arguments for '"
                    + text(frame, args, 1) + "'. Try CLIENT HELP.", info);
        }
        boolean error = false;
        if (argc == 4) {
            String reason = text(frame, args, 3);
            if (reason.equalsIgnoreCase("error")) {
                error = true;
            } else if (!reason.equalsIgnoreCase("timeout")) {
                return Command.unsupported(frame, command.name(), "CLIENT UNBLOCK reason should be TIMEOUT or ERROR", info);
            }
        }
        long id = args[5] == 0 ? Long.MIN_VALUE : RespSplitter.parseDecimal(frame, frame.readerIndex() + args[4],
                frame.readerIndex() + args[4] + args[5]);
        if (id == Long.MIN_VALUE) {
            return Command.unsupported(frame, command.name(), "value is not an integer or out of range", info);
        }
        return Command.of(frame, command.name(), CommandKind.ASIDE, null, new UnblockCommand(id, error), command.lane());
    }

    @Override
    public ByteBuf request(long connectionIdentity, ByteBufAllocator alloc) {
        return RespWriter.command(alloc, "CLIENT", "UNBLOCK", Long.toString(connectionIdentity), error ? "ERROR" : "TIMEOUT");
    }

    @Override
    public ByteBuf unpinned(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(4);
        RespWriter.integer(out, 0);
        return out;
    }

    private static String text(ByteBuf frame, int[] args, int i) {
        return frame.toString(frame.readerIndex() + args[2 * i], args[2 * i + 1], StandardCharsets.UTF_8);
    }
}
