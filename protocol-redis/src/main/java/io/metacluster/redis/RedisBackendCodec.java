package io.metacluster.redis;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

/**
 * One backend connection: AUTH and SELECT after connecting, replies split by {@link RespSplitter}.
 *
 * <p>Per connection, confined to its event loop; never blocks. {@link #replyLength} resumes a
 * partial reply where the previous call stopped (see {@link RespSplitter}).
 */
public final class RedisBackendCodec implements BackendCodec {
    private final BackendSettings settings;
    private final RespSplitter splitter = new RespSplitter();
    /** Of a transaction's reply (several frames) being framed: frames complete so far, and their bytes. */
    private int transactionFrames;
    private int transactionBytes;

    public RedisBackendCodec(BackendSettings settings) {
        this.settings = settings;
    }

    @Override
    public List<ByteBuf> handshake(ByteBufAllocator alloc) {
        List<ByteBuf> requests = new ArrayList<>(3);
        if (settings.password() != null) {
            requests.add(settings.username() == null
                    ? RespWriter.command(alloc, "AUTH", settings.password())
                    : RespWriter.command(alloc, "AUTH", settings.username(), settings.password()));
        }
        if (settings.database() != 0) {
            requests.add(RespWriter.command(alloc, "SELECT", Integer.toString(settings.database())));
        }
        // a connection is only "up" once the server answers: a frozen process accepts TCP but not this
        requests.add(RespWriter.command(alloc, "PING"));
        return requests;
    }

    @Override
    public int replyLength(ByteBuf in, Command request) throws ProtocolException {
        if (request != null && request.detail() instanceof Transaction.Exec exec) {
            return transactionReplyLength(in, exec);
        }
        return splitter.frameLength(in);
    }

    /** A forwarded transaction is answered with several frames, taken as one reply; resumes where it stopped. */
    private int transactionReplyLength(ByteBuf in, Transaction.Exec exec) throws ProtocolException {
        while (transactionFrames < exec.replies()) {
            int length = splitter.frameLength(in, in.readerIndex() + transactionBytes);
            if (length < 0) {
                return -1;
            }
            transactionBytes += length;
            transactionFrames++;
        }
        int length = transactionBytes;
        transactionFrames = 0;
        transactionBytes = 0;
        return length;
    }

    /** See {@link Replies#isError}: for a transaction, an error instead of the EXEC array (EXECABORT). */
    @Override
    public boolean isError(Command request, ByteBuf reply) {
        return Replies.isError(request, reply);
    }
}
