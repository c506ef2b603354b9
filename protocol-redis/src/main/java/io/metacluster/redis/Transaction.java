package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A client's MULTI ... EXEC, held by the proxy until EXEC and then forwarded as one block.
 *
 * <p>Backend connections are shared by many clients, so a MULTI forwarded on its own would put
 * every client's next commands inside it. The proxy therefore answers MULTI and the
 * {@code +QUEUED} of each command itself, keeps the commands (their frames, no copy), and at EXEC
 * sends {@code MULTI}, the commands and {@code EXEC} as one contiguous frame: it is written to a
 * connection in one piece, so nothing else can land inside it. The backend answers {@code +OK},
 * one reply per queued command and the EXEC reply; the client sees only the last ({@link Exec}).
 *
 * <p>Routed as one command: to every cluster when any queued command writes (the write policy
 * picks the reply the client sees), otherwise to one cluster as a read. A transaction that queues
 * a write whose outcome a cluster chooses (SPOP, XADD *, INCRBYFLOAT: an {@code effect} in
 * {@code proxy-rules.tsv}) runs on the read cluster first, and the others get {@code MULTI}, the
 * effect of each command that ran, {@code EXEC} ({@link Effects}), so every copy holds the same.
 * As Redis does, a command refused while queueing (unknown, wrong arity, not supported by the
 * proxy) aborts the transaction: EXEC then answers {@code EXECABORT}. A transaction after WATCH
 * is a {@link WatchedTransaction}'s instead.
 *
 * <p>One per client connection at most; confined to its event loop.
 */
final class Transaction {
    static final String EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
    static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * What the reply to a forwarded transaction is made of: {@code +OK}, one reply per command, the
     * EXEC reply.
     *
     * @param members for a transaction one cluster decides (it queues a write whose outcome that
     *                cluster chooses: SPOP, XADD *, INCRBYFLOAT), where each queued command lies in
     *                its frame, so that the others get the effects of what ran ({@link Effects});
     *                empty for a transaction that goes to every cluster as it is
     */
    record Exec(int commands, List<Member> members) {
        Exec(int commands) {
            this(commands, List.of());
        }

        /** RESP frames in the backend's reply. */
        int replies() {
            return commands + 2;
        }

        /** Where the EXEC reply starts in the backend's whole reply (framed already), from its reader index. */
        int execReplyOffset(ByteBuf reply) {
            int at = reply.readerIndex();
            try {
                for (int i = 0; i < replies() - 1; i++) {
                    at += RespSplitter.lengthOf(reply, at);
                }
            } catch (ProtocolException e) {
                throw new IllegalStateException("a transaction reply that was framed once cannot be reframed", e);
            }
            return at - reply.readerIndex();
        }
    }

    /**
     * A queued command of a transaction one cluster decides: {@code length} bytes at {@code offset}
     * of the transaction's frame, its keys relative to there.
     */
    record Member(int offset, int length, String name, CommandKind kind, int[] keys, Object detail) {
        /** The command again, on a retained slice of {@code frame} (the transaction's): release it after use. */
        Command command(ByteBuf frame, int lane) {
            return Command.of(frame.retainedSlice(frame.readerIndex() + offset, length), name, kind, keys, detail, lane);
        }
    }

    /** A command the client sent inside MULTI: answered {@code +QUEUED} by the proxy, forwarded at EXEC. */
    record Queued(Command command) {
    }

    private final ClientLimits limits;
    private final List<Command> queued = new ArrayList<>();
    private long bytes = MULTI.length + EXEC.length;
    private boolean aborted;

    Transaction(ClientLimits limits) {
        this.limits = limits;
    }

    /** A command was refused while queueing: EXEC will answer EXECABORT. */
    void abort() {
        aborted = true;
    }

    /**
     * Queues {@code command}, taking over one reference to it.
     *
     * @return {@code null} when queued, else the error to answer (the transaction is then aborted
     *         and the command released)
     */
    String add(Command command) {
        long size = command.frame().readableBytes();
        if (queued.size() >= limits.maxElements() || bytes + size > limits.maxFrameBytes()) {
            command.release();
            abort();
            return "transaction too large for metacluster (more than " + limits.maxElements() + " commands or "
                    + limits.maxFrameBytes() + " bytes)";
        }
        queued.add(command);
        bytes += size;
        return null;
    }

    int size() {
        return queued.size();
    }

    boolean isEmpty() {
        return queued.isEmpty();
    }

    boolean aborted() {
        return aborted;
    }

    /**
     * The whole transaction as one command, which owns the queued frames from now on. Call once,
     * on a non-empty, not aborted transaction. {@code lane} is the client's (SELECT and HELLO
     * cannot be queued, so every queued command has it too).
     */
    Command exec(ByteBufAllocator alloc, CommandInfo execInfo, int lane) {
        CompositeByteBuf frame = alloc.compositeBuffer(queued.size() + 2);
        frame.addComponent(true, Unpooled.wrappedBuffer(MULTI));
        boolean writes = false;
        boolean decided = false;
        int keyCount = 0;
        for (Command command : queued) {
            // a PUBLISH inside (CONDITIONAL_WRITE alone) goes to every cluster with the rest of the block, and so does
            // a blocking command (PINNED alone), which does not block inside MULTI
            writes |= command.kind() == CommandKind.WRITE || command.kind() == CommandKind.CONDITIONAL_WRITE
                    || command.kind() == CommandKind.PINNED;
            // SPOP, XADD *, INCRBYFLOAT, XREADGROUP (BLOCK or not): each cluster would choose its own outcome, so one
            // runs the block first
            decided |= (command.kind() == CommandKind.CONDITIONAL_WRITE && command.detail() instanceof CommandInfo info
                    && info.rules().effect() != Effects.Effect.SAME) || (command.kind() == CommandKind.PINNED
                    && command.detail() instanceof CommandInfo blocking && blocking.rules().effect() == Effects.Effect.XCLAIM);
            keyCount += command.keyCount();
        }
        int[] keys = new int[2 * keyCount];
        List<Member> members = decided ? new ArrayList<>(queued.size()) : List.of();
        int at = 0;
        for (Command command : queued) {
            int offset = frame.writerIndex();
            int[] own = new int[2 * command.keyCount()];
            for (int i = 0; i < command.keyCount(); i++, at += 2) {
                keys[at] = offset + command.keyOffset(i);
                keys[at + 1] = command.keyLength(i);
                own[2 * i] = command.keyOffset(i);
                own[2 * i + 1] = command.keyLength(i);
            }
            if (decided) {
                members.add(new Member(offset, command.frame().readableBytes(), command.name(), command.kind(), own,
                        command.detail()));
            }
            // the composite takes over the command's reference to its frame
            frame.addComponent(true, command.frame());
        }
        frame.addComponent(true, Unpooled.wrappedBuffer(EXEC));
        Exec exec = new Exec(queued.size(), members);
        queued.clear();
        CommandKind kind = decided ? CommandKind.CONDITIONAL_WRITE : writes ? CommandKind.WRITE : CommandKind.READ;
        return Command.of(frame, execInfo.displayName(), kind, keys, exec, lane);
    }

    /** Drops the queued commands (DISCARD, RESET, or the connection closed). */
    void discard() {
        for (Command command : queued) {
            command.release();
        }
        queued.clear();
    }
}
