package com.example.redismodules;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ForwardingClientCodec;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The Redis client codec, with the {@link ModuleCommand#DECLARED} commands routed by their
 * declared kind and keys. The Redis codec underneath forwards every command it does not know
 * ({@code unknown-commands: write}) as a write keyed by its first argument, without a command
 * table row ({@link Command#detail()} {@code null}); this codec re-routes the declared ones and
 * refuses every other unknown command, as Redis does. Everything else is the Redis codec's.
 *
 * <p>One per client connection, on its event loop, like the codec it wraps.
 */
final class ModuleCommandsCodec extends ForwardingClientCodec {
    /** (offset, length) of each argument of the request being re-routed; reused, never shared. */
    private int[] args = new int[16];

    ModuleCommandsCodec(ClientCodec redis) {
        super(redis);
    }

    @Override
    public Command decode(ByteBuf in) throws ProtocolException {
        Command command = super.decode(in);
        if (command == null || command.detail() != null || command.kind() != CommandKind.WRITE) {
            return command; // Redis's own command (or an error, a transaction...): as Redis routes it
        }
        try {
            return reRouted(command);
        } finally {
            command.release();
        }
    }

    /** {@code forwarded} as declared, or refused; takes a reference of its frame, not over it. */
    private Command reRouted(Command forwarded) {
        ByteBuf frame = forwarded.frame();
        int count = scanArgs(frame);
        ModuleCommand declared = ModuleCommand.DECLARED.get(forwarded.name());
        if (declared == null) {
            return Command.unsupported(frame.retain(), "UNKNOWN", unknownCommand(frame, count), null);
        }
        if (!declared.arityAccepts(count)) {
            return Command.unsupported(frame.retain(), forwarded.name(), "wrong number of arguments for '"
                    + forwarded.name().toLowerCase() + "' command", null);
        }
        int last = declared.lastKey(count);
        int keys = (last - declared.firstKey()) / declared.step() + 1;
        int[] ranges = new int[keys * 2];
        for (int k = 0, arg = declared.firstKey(); k < keys; k++, arg += declared.step()) {
            ranges[2 * k] = args[2 * arg];
            ranges[2 * k + 1] = args[2 * arg + 1];
        }
        return Command.of(frame.retain(), forwarded.name(), declared.kind(), ranges, null);
    }

    /**
     * Records where each argument of {@code frame} is, relative to its reader index. The Redis
     * codec always hands on a whole multibulk frame ({@code *N}, then {@code $len} and the bytes
     * of each argument; inline requests are re-encoded so), already checked, so this trusts it.
     */
    private int scanArgs(ByteBuf frame) {
        int at = frame.readerIndex();
        int lineEnd = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
        int count = Integer.parseInt(frame.toString(at + 1, lineEnd - at - 1, StandardCharsets.US_ASCII));
        if (args.length < count * 2) {
            args = new int[count * 2];
        }
        at = lineEnd + 2;
        for (int i = 0; i < count; i++) {
            lineEnd = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
            int length = Integer.parseInt(frame.toString(at + 1, lineEnd - at - 1, StandardCharsets.US_ASCII));
            args[2 * i] = lineEnd + 2 - frame.readerIndex();
            args[2 * i + 1] = length;
            at = lineEnd + 2 + length + 2;
        }
        return count;
    }

    /** Redis's own words for a command it does not have. */
    private String unknownCommand(ByteBuf frame, int count) {
        StringBuilder shown = new StringBuilder();
        for (int i = 1; i < count && shown.length() < 128; i++) {
            shown.append('\'').append(text(frame, i)).append("' ");
        }
        return "unknown command '" + text(frame, 0) + "', with args beginning with: " + shown;
    }

    private String text(ByteBuf frame, int arg) {
        return frame.toString(frame.readerIndex() + args[2 * arg], args[2 * arg + 1], StandardCharsets.ISO_8859_1);
    }
}
