package io.metacluster.redis;

import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/** MULTI ... EXEC as the codec handles it: queued by the proxy, forwarded as one block. */
class TransactionTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
    private final List<Command> forwarded = new ArrayList<>();

    @AfterEach
    void release() {
        forwarded.forEach(Command::release);
        codec.closed();
    }

    /**
     * What the client is answered, the engine's way: an ADMIN command by the codec, a refused
     * one with its error; a routable one is kept in {@link #forwarded} and shown as "->KIND".
     */
    private String send(String... words) throws ProtocolException {
        ByteBuf in = buf(mb(words));
        try {
            Command command = codec.decode(in);
            assertThat(in.isReadable()).isFalse();
            ByteBuf reply;
            switch (command.kind()) {
                case ADMIN -> reply = codec.answer(command, new Codecs.Context());
                case UNSUPPORTED -> reply = codec.error(in.alloc(), command, command.rejection());
                default -> {
                    forwarded.add(command);
                    return "->" + command.kind();
                }
            }
            command.release();
            String text = text(reply);
            reply.release();
            return text;
        } finally {
            in.release();
        }
    }

    @Test
    void queuedCommandsLeaveAsOneBlockAtExec() throws Exception {
        assertThat(send("MULTI")).isEqualTo("+OK\r\n");
        assertThat(send("SET", "k", "v")).isEqualTo("+QUEUED\r\n");
        assertThat(send("GET", "k")).isEqualTo("+QUEUED\r\n");
        assertThat(send("PING")).as("queued too: the backend answers it in EXEC's array").isEqualTo("+QUEUED\r\n");
        assertThat(send("EXEC")).isEqualTo("->WRITE");

        Command exec = forwarded.get(0);
        assertThat(text(exec.frame())).isEqualTo(mb("MULTI") + mb("SET", "k", "v") + mb("GET", "k") + mb("PING") + mb("EXEC"));
        assertThat(exec.name()).isEqualTo("EXEC");
        assertThat(exec.keyCount()).isEqualTo(2);
        assertThat(text(exec.key(0))).isEqualTo("k");
        assertThat(text(exec.key(1))).isEqualTo("k");
        assertThat(exec.detail()).isEqualTo(new Transaction.Exec(3));
        assertThat(send("GET", "k")).as("the transaction is over").isEqualTo("->READ");
    }

    @Test
    void aPublishInsideATransactionGoesWithItToEveryCluster() throws Exception {
        send("MULTI");
        assertThat(send("GET", "a")).isEqualTo("+QUEUED\r\n");
        assertThat(send("PUBLISH", "c", "m")).isEqualTo("+QUEUED\r\n");
        assertThat(send("EXEC")).isEqualTo("->WRITE");
    }

    @Test
    void aTransactionThatSpopsIsDecidedByOneClusterAndTheOthersGetTheEffectsOfWhatRan() throws Exception {
        send("MULTI");
        send("SPOP", "s");
        send("SET", "k", "v");
        send("GET", "k");
        send("XADD", "x", "*", "f", "v");
        send("INCR", "s"); // fails at run time: no effect
        assertThat(send("EXEC")).isEqualTo("->CONDITIONAL_WRITE");
        Command exec = forwarded.get(0);
        ByteBuf reply = buf("+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                + "*5\r\n$1\r\na\r\n+OK\r\n$1\r\nv\r\n$3\r\n1-1\r\n-WRONGTYPE no\r\n");
        Command effects = Effects.INSTANCE.propagation(exec, reply, reply.alloc());
        try {
            assertThat(text(effects.frame())).isEqualTo(mb("MULTI") + mb("SREM", "s", "a") + mb("SET", "k", "v")
                    + mb("XADD", "x", "1-1", "f", "v") + mb("EXEC"));
            assertThat(effects.kind()).isEqualTo(CommandKind.WRITE);
            assertThat(effects.detail()).as("framed as a transaction's reply").isEqualTo(new Transaction.Exec(3));
            assertThat(effects.keyCount()).isEqualTo(3);
            assertThat(text(effects.key(2))).isEqualTo("x");
        } finally {
            effects.release();
            reply.release();
        }
        ByteBuf aborted = buf("+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n-EXECABORT x\r\n");
        assertThat(Effects.INSTANCE.propagation(exec, aborted, aborted.alloc())).isNull();
        aborted.release();
    }

    @Test
    void commandsRedisRefusesInsideMultiAreRefusedWithItsWordsAndAbortTheExec() throws Exception {
        send("MULTI");
        assertThat(send("SAVE")).isEqualTo("-ERR Command not allowed inside a transaction\r\n");
        assertThat(send("SHUTDOWN")).as("before the proxy's own refusal, as in Redis")
                .isEqualTo("-ERR Command not allowed inside a transaction\r\n");
        assertThat(send("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
    }

    @Test
    void aTransactionOfReadsIsARead() throws Exception {
        send("MULTI");
        send("GET", "a");
        send("MGET", "b", "c");
        assertThat(send("EXEC")).isEqualTo("->READ");
        assertThat(forwarded.get(0).keyCount()).isEqualTo(3);
    }

    @Test
    void errorsAsRedisGivesThem() throws Exception {
        assertThat(send("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
        assertThat(send("DISCARD")).isEqualTo("-ERR DISCARD without MULTI\r\n");
        assertThat(send("UNWATCH")).isEqualTo("+OK\r\n");
        assertThat(send("MULTI")).isEqualTo("+OK\r\n");
        assertThat(send("MULTI")).as("does not abort").isEqualTo("-ERR MULTI calls can not be nested\r\n");
        assertThat(send("WATCH", "k")).as("does not abort").isEqualTo("-ERR WATCH inside MULTI is not allowed\r\n");
        assertThat(send("INCR", "n")).isEqualTo("+QUEUED\r\n");
        assertThat(send("EXEC")).isEqualTo("->WRITE");
    }

    @Test
    void aCommandRefusedWhileQueueingAbortsTheExec() throws Exception {
        send("MULTI");
        assertThat(send("SET", "k", "v")).isEqualTo("+QUEUED\r\n");
        assertThat(send("NOSUCH", "x")).startsWith("-ERR unknown command 'NOSUCH'");
        assertThat(send("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
        assertThat(send("SELECT", "0")).isEqualTo("-ERR SELECT inside MULTI is not supported by metacluster\r\n");
        assertThat(send("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
        assertThat(forwarded).isEmpty();
        assertThat(send("GET", "k")).isEqualTo("->READ");
    }

    @Test
    void discardResetAndAnEmptyExecDropTheQueue() throws Exception {
        send("MULTI");
        send("SET", "k", "v");
        assertThat(send("DISCARD")).isEqualTo("+OK\r\n");
        assertThat(send("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
        send("MULTI");
        send("SET", "k", "v");
        assertThat(send("RESET")).isEqualTo("+RESET\r\n");
        assertThat(send("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
        send("MULTI");
        assertThat(send("EXEC")).isEqualTo("*0\r\n");
        assertThat(send("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
        assertThat(forwarded).isEmpty();
    }

    @Test
    void aTransactionLargerThanAFrameIsRefused() throws Exception {
        RedisClientCodec small = new RedisClientCodec(new ClientLimits(100, 1024, 1024));
        ByteBuf in = buf(mb("MULTI") + mb("SET", "k", "0123456789") + mb("SET", "k", "0123456789"));
        try {
            List<String> replies = new ArrayList<>();
            for (Command command; (command = small.decode(in)) != null; ) {
                ByteBuf reply = small.answer(command, new Codecs.Context());
                replies.add(text(reply));
                reply.release();
                command.release();
            }
            assertThat(replies.get(0)).isEqualTo("+OK\r\n");
            assertThat(replies.get(1)).isEqualTo("+QUEUED\r\n");
            assertThat(replies.get(2)).startsWith("-ERR transaction too large for metacluster");
        } finally {
            in.release();
            small.closed();
        }
    }

    @Test
    void theClientSeesOnlyTheExecReply() throws Exception {
        send("MULTI");
        send("SET", "k", "v");
        send("GET", "k");
        send("EXEC");
        Command exec = forwarded.get(0);
        RedisBackendCodec backend = new RedisBackendCodec(new BackendSettings("dc1", "127.0.0.1:1", null, null, 0));
        String whole = "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\nv\r\n";
        ByteBuf in = buf("");
        try {
            // byte by byte: the framing resumes where it stopped
            for (int i = 0; i < whole.length() - 1; i++) {
                in.writeByte(whole.charAt(i));
                assertThat(backend.replyLength(in, exec)).as("after %d bytes", i + 1).isEqualTo(-1);
            }
            in.writeByte(whole.charAt(whole.length() - 1));
            in.writeBytes(mb("next").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(backend.replyLength(in, exec)).isEqualTo(whole.length());
            ByteBuf reply = in.readRetainedSlice(whole.length());
            assertThat(backend.isError(exec, reply)).isFalse();
            ByteBuf shown = codec.present(exec, reply);
            assertThat(text(shown)).isEqualTo("*2\r\n+OK\r\n$1\r\nv\r\n");
            shown.release();
            assertThat(backend.replyLength(in, null)).as("the next reply frames on its own").isEqualTo(in.readableBytes());
        } finally {
            in.release();
        }
    }

    @Test
    void anExecAbortFromTheBackendIsAnError() throws Exception {
        send("MULTI");
        send("SET", "k", "v");
        send("EXEC");
        Command exec = forwarded.get(0);
        RedisBackendCodec backend = new RedisBackendCodec(new BackendSettings("dc1", "127.0.0.1:1", null, null, 0));
        ByteBuf reply = buf("+OK\r\n-OOM command not allowed\r\n-EXECABORT Transaction discarded because of previous errors.\r\n");
        try {
            assertThat(backend.replyLength(reply, exec)).isEqualTo(reply.readableBytes());
            assertThat(backend.isError(exec, reply)).isTrue();
            assertThat(exec.kind()).isEqualTo(CommandKind.WRITE);
        } finally {
            reply.release();
        }
    }
}
