package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static org.assertj.core.api.Assertions.assertThat;

/** What each command is after WATCH (pinned or not, which ends the conversation), and what an EXEC that ran propagates. */
class WatchedTransactionTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
    private final List<Command> decoded = new ArrayList<>();

    @AfterEach
    void release() {
        decoded.forEach(Command::release);
        codec.closed();
    }

    private Command send(String... words) throws Exception {
        Command command = Codecs.command(codec, words);
        decoded.add(command);
        return command;
    }

    /** kind, then for a pinned command whether it starts and ends a conversation. */
    private String verdict(String... words) throws Exception {
        Command command = send(words);
        if (command.kind() != CommandKind.PINNED) {
            return command.kind() + (command.rejection() != null ? " " + command.rejection() : "");
        }
        return "PINNED" + (codec.pinning().conversation(command) ? " converses" : "")
                + (codec.pinning().endsConversation(command) ? " ends" : "");
    }

    @Test
    void fromWatchToExecEverythingButTheProxysOwnCommandsIsPinned() throws Exception {
        assertThat(verdict("GET", "k")).isEqualTo("READ");
        assertThat(verdict("WATCH", "k")).isEqualTo("PINNED converses");
        assertThat(verdict("GET", "k")).isEqualTo("PINNED converses");
        assertThat(verdict("SET", "k", "v")).isEqualTo("PINNED converses");
        assertThat(verdict("PING")).as("answered by the proxy outside MULTI").isEqualTo("ADMIN");
        assertThat(verdict("EXEC")).isEqualTo("UNSUPPORTED EXEC without MULTI");
        assertThat(verdict("SUBSCRIBE", "c")).isEqualTo("UNSUPPORTED SUBSCRIBE while WATCH is active is not supported by metacluster");
        assertThat(verdict("SELECT", "1")).isEqualTo("UNSUPPORTED SELECT while WATCH is active is not supported by"
                + " metacluster (UNWATCH first)");
        assertThat(verdict("HELLO", "3")).startsWith("UNSUPPORTED HELLO while WATCH");
        assertThat(verdict("MULTI")).isEqualTo("PINNED converses");
        assertThat(verdict("PING")).as("queued on the backend").isEqualTo("PINNED converses");
        assertThat(verdict("UNWATCH")).as("queued on the backend").isEqualTo("PINNED converses");
        assertThat(verdict("BLPOP", "l", "0")).as("queued on the backend").isEqualTo("PINNED converses");
        assertThat(verdict("EXEC")).isEqualTo("PINNED converses ends");
        assertThat(verdict("GET", "k")).isEqualTo("READ");
        assertThat(verdict("MULTI")).as("answered by the proxy again").isEqualTo("ADMIN");
    }

    @Test
    void unwatchDiscardAndResetEndIt() throws Exception {
        send("WATCH", "k");
        assertThat(verdict("UNWATCH")).isEqualTo("PINNED converses ends");
        assertThat(verdict("UNWATCH")).isEqualTo("ADMIN");
        send("WATCH", "k");
        assertThat(verdict("DISCARD")).isEqualTo("UNSUPPORTED DISCARD without MULTI");
        send("MULTI");
        assertThat(verdict("DISCARD")).isEqualTo("PINNED converses ends");
        send("WATCH", "k");
        assertThat(verdict("RESET")).isEqualTo("PINNED converses ends");
        assertThat(verdict("GET", "k")).isEqualTo("READ");
    }

    @Test
    void aWriteWhileWatchingPropagatesItselfAndItsEffect() throws Exception {
        send("WATCH", "k");
        assertThat(propagated(send("SET", "k", "v"), "+OK\r\n")).isEqualTo(mb("SET", "k", "v"));
        assertThat(propagated(send("SET", "k", "v", "GET"), "$-1\r\n")).as("a nil reply, still a write").isEqualTo(mb("SET", "k", "v", "GET"));
        assertThat(propagated(send("SPOP", "s"), "$1\r\na\r\n")).isEqualTo(mb("SREM", "s", "a"));
        assertThat(propagated(send("GET", "k"), "$1\r\nv\r\n")).isNull();
        assertThat(propagated(send("SET", "k"), "-ERR x\r\n")).isNull();
    }

    @Test
    void anExecThatRanPropagatesTheWritesAsOneBlockAndANilOneNothing() throws Exception {
        send("WATCH", "k");
        assertThat(propagated(send("MULTI"), "+OK\r\n")).isNull();
        assertThat(propagated(send("SET", "k", "1"), "+QUEUED\r\n")).isNull();
        send("GET", "k");
        send("SPOP", "s");
        send("INCR", "k");
        send("PING");
        String reply = "*5\r\n+OK\r\n$1\r\n1\r\n$1\r\nb\r\n-ERR not an integer\r\n+PONG\r\n";
        assertThat(propagated(send("EXEC"), reply))
                .isEqualTo("*1\r\n$5\r\nMULTI\r\n" + mb("SET", "k", "1") + mb("SREM", "s", "b") + "*1\r\n$4\r\nEXEC\r\n");

        send("WATCH", "k");
        send("MULTI");
        send("SET", "k", "2");
        assertThat(propagated(send("EXEC"), "*-1\r\n")).isNull();
    }

    private String propagated(Command command, String reply) {
        ByteBuf replyBuf = buf(reply);
        Command write = codec.conditionalWrites().propagation(command, replyBuf, ByteBufAllocator.DEFAULT);
        replyBuf.release();
        if (write == null) {
            return null;
        }
        try {
            assertThat(write.kind()).isEqualTo(CommandKind.WRITE);
            return Codecs.text(write.frame());
        } finally {
            write.release();
        }
    }
}
