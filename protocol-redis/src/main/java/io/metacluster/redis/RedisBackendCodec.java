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
 * One backend connection of a lane ({@link Session}): AUTH, SELECT of the lane's database (the
 * cluster's configured one plus the client's), HELLO 3 on a RESP3 lane, then PING; replies, of
 * every RESP2 and RESP3 type, split by {@link RespSplitter}.
 *
 * <p>Per connection, confined to its event loop; never blocks. {@link #replyLength} resumes a
 * partial reply where the previous call stopped (see {@link RespSplitter}).
 */
public final class RedisBackendCodec implements BackendCodec {
    private final BackendSettings settings;
    private final int lane;
    private final RespSplitter splitter = new RespSplitter();
    /** Of a transaction's reply (several frames) being framed: frames complete so far, and their bytes. */
    private int transactionFrames;
    private int transactionBytes;

    public RedisBackendCodec(BackendSettings settings) {
        this(settings, 0);
    }

    public RedisBackendCodec(BackendSettings settings, int lane) {
        this.settings = settings;
        this.lane = lane;
    }

    @Override
    public List<ByteBuf> handshake(ByteBufAllocator alloc) {
        List<ByteBuf> requests = new ArrayList<>(4);
        if (settings.password() != null) {
            requests.add(settings.username() == null
                    ? RespWriter.command(alloc, "AUTH", settings.password())
                    : RespWriter.command(alloc, "AUTH", settings.username(), settings.password()));
        }
        int database = settings.database() + Session.databaseOf(lane);
        if (database != 0) {
            requests.add(RespWriter.command(alloc, "SELECT", Integer.toString(database)));
        }
        if (Session.resp3(lane)) {
            requests.add(RespWriter.command(alloc, "HELLO", "3"));
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
