package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Pinning;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static org.assertj.core.api.Assertions.assertThat;

/** What a subscribed (pinned) connection may send, which backend message ends the mode, and PUBLISH's propagation. */
class PubSubPolicyTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', quoteCharacter = '`', value = {
            "SUBSCRIBE a b ; forward",
            "PSUBSCRIBE p* ; forward",
            "UNSUBSCRIBE ; forward",
            "SUNSUBSCRIBE s ; forward",
            "PING ; forward",
            "RESET ; forward",
            "QUIT ; as usual",
            "NOSUCH x ; as usual",
            "GET k ; Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            "CONFIG GET x ; Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    })
    void whilePinned(String words, String expected) throws Exception {
        Command command = Codecs.command(codec, words.trim().split(" "));
        Pinning pinning = codec.pinning();
        String verdict = switch (pinning.whilePinned(command)) {
            case FORWARD -> "forward";
            case AS_USUAL -> "as usual";
            case REFUSE -> pinning.refusal(command);
        };
        command.release();
        assertThat(verdict).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "*3\\r\\n$11\\r\\nunsubscribe\\r\\n$1\\r\\nc\\r\\n:0\\r\\n       | true",
            "*3\\r\\n$12\\r\\npunsubscribe\\r\\n$2\\r\\np*\\r\\n:0\\r\\n     | true",
            "*3\\r\\n$11\\r\\nunsubscribe\\r\\n$-1\\r\\n:0\\r\\n            | true",
            "*3\\r\\n$11\\r\\nunsubscribe\\r\\n$1\\r\\nc\\r\\n:2\\r\\n       | false",
            "*3\\r\\n$11\\r\\nunsubscribe\\r\\n$1\\r\\nc\\r\\n:10\\r\\n      | false",
            "*3\\r\\n$9\\r\\nsubscribe\\r\\n$1\\r\\nc\\r\\n:0\\r\\n         | false",
            "*3\\r\\n$7\\r\\nmessage\\r\\n$1\\r\\nc\\r\\n$1\\r\\n0\\r\\n       | false",
            "*3\\r\\n$7\\r\\nmessage\\r\\n$11\\r\\nunsubscribe\\r\\n:0\\r\\n    | false",
            "+RESET\\r\\n                                                | true",
            "+PONG\\r\\n                                                 | false",
    })
    void endsPinning(String message, boolean ends) {
        ByteBuf buf = buf(message.trim().replace("\\r\\n", "\r\n"));
        try {
            assertThat(codec.pinning().endsPinning(buf)).isEqualTo(ends);
        } finally {
            buf.release();
        }
    }

    @Test
    void theCodecHandsOutThePolicy() {
        assertThat(codec.pinning()).isSameAs(PubSubPolicy.INSTANCE);
        assertThat(codec.conditionalWrites()).isSameAs(PubSubPolicy.INSTANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUBLISH", "SPUBLISH"})
    void aPublishIsPropagatedAsTheSameFrameAsAWrite(String name) throws Exception {
        Command publish = Codecs.command(codec, name, "chan", "hello");
        ByteBuf reply = buf(":2\r\n");
        Command copy = PubSubPolicy.INSTANCE.propagation(publish, reply, ByteBufAllocator.DEFAULT);
        try {
            assertThat(publish.kind()).isEqualTo(CommandKind.CONDITIONAL_WRITE);
            assertThat(copy.kind()).isEqualTo(CommandKind.WRITE);
            assertThat(copy.name()).isEqualTo(publish.name());
            assertThat(Codecs.text(copy.frame())).isEqualTo(mb(name, "chan", "hello"));
            assertThat(copy.keyCount()).isEqualTo(publish.keyCount());
            for (int i = 0; i < copy.keyCount(); i++) {
                assertThat(Codecs.text(copy.key(i))).isEqualTo("chan");
            }
        } finally {
            copy.release();
            publish.release();
            reply.release();
        }
    }

    @Test
    void onlyConditionalWritesArePropagated() throws Exception {
        Command set = Codecs.command(codec, "SET", "k", "v");
        ByteBuf reply = buf("+OK\r\n");
        try {
            assertThat(PubSubPolicy.INSTANCE.propagation(set, reply, ByteBufAllocator.DEFAULT)).isNull();
        } finally {
            set.release();
            reply.release();
        }
    }
}
