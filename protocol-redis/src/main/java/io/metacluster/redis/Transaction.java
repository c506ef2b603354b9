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
 * picks the reply the client sees), otherwise to one cluster as a read. As Redis does, a command
 * refused while queueing (unknown, wrong arity, not supported by the proxy) aborts the
 * transaction: EXEC then answers {@code EXECABORT}. WATCH needs a backend connection of the
 * client's own and is refused.
 *
 * <p>One per client connection at most; confined to its event loop.
 */
final class Transaction {
    static final String EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
    private static final byte[] MULTI = "*1\r\n$5\r\nMULTI\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXEC = "*1\r\n$4\r\nEXEC\r\n".getBytes(StandardCharsets.US_ASCII);

    /** What the reply to a forwarded transaction is made of: {@code +OK}, one reply per command, the EXEC reply. */
    record Exec(int commands) {
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
        int keyCount = 0;
        for (Command command : queued) {
            // a PUBLISH inside (CONDITIONAL_WRITE alone) goes to every cluster with the rest of the block
            writes |= command.kind() == CommandKind.WRITE || command.kind() == CommandKind.CONDITIONAL_WRITE;
            keyCount += command.keyCount();
        }
        int[] keys = new int[2 * keyCount];
        int at = 0;
        for (Command command : queued) {
            int offset = frame.writerIndex();
            for (int i = 0; i < command.keyCount(); i++, at += 2) {
                keys[at] = offset + command.keyOffset(i);
                keys[at + 1] = command.keyLength(i);
            }
            // the composite takes over the command's reference to its frame
            frame.addComponent(true, command.frame());
        }
        frame.addComponent(true, Unpooled.wrappedBuffer(EXEC));
        Exec exec = new Exec(queued.size());
        queued.clear();
        return Command.of(frame, execInfo.displayName(), writes ? CommandKind.WRITE : CommandKind.READ, keys, exec, lane);
    }

    /** Drops the queued commands (DISCARD, RESET, or the connection closed). */
    void discard() {
        for (Command command : queued) {
            command.release();
        }
        queued.clear();
    }
}
