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

/** What a subscribed (pinned) connection may send, and which backend message ends the mode. */
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
        assertThat(codec.pinning()).isSameAs(codec.pinning()).isInstanceOf(PubSubPolicy.class);
        assertThat(codec.conditionalWrites()).isSameAs(Effects.INSTANCE);
    }

    @Test
    void anUnsubscribeOfSeveralChannelsEndsAtItsLastReply() throws Exception {
        Command unsubscribe = Codecs.command(codec, "UNSUBSCRIBE", "foo", "bar", "quux");
        unsubscribe.release();
        endsPinning("*3\\r\\n$11\\r\\nunsubscribe\\r\\n$3\\r\\nfoo\\r\\n:0\\r\\n", false);
        endsPinning("*3\\r\\n$11\\r\\nunsubscribe\\r\\n$3\\r\\nbar\\r\\n:0\\r\\n", false);
        endsPinning("*3\\r\\n$11\\r\\nunsubscribe\\r\\n$4\\r\\nquux\\r\\n:0\\r\\n", true);
    }

    @Test
    void aSubscribeSentBeforeTheUnsubscribeReplyCameBackKeepsTheMode() throws Exception {
        // redis-py's test_sub_unsub_resub: the three commands leave before any reply is read
        for (String[] words : new String[][] {{"SUBSCRIBE", "foo"}, {"UNSUBSCRIBE", "foo"}, {"SUBSCRIBE", "foo"}}) {
            Codecs.command(codec, words).release();
        }
        endsPinning("*3\\r\\n$9\\r\\nsubscribe\\r\\n$3\\r\\nfoo\\r\\n:1\\r\\n", false);
        endsPinning("*3\\r\\n$11\\r\\nunsubscribe\\r\\n$3\\r\\nfoo\\r\\n:0\\r\\n", false);
        endsPinning(">3\\r\\n$9\\r\\nsubscribe\\r\\n$3\\r\\nfoo\\r\\n:1\\r\\n", false);
        Codecs.command(codec, "UNSUBSCRIBE").release();
        endsPinning("*3\\r\\n$11\\r\\nunsubscribe\\r\\n$3\\r\\nfoo\\r\\n:0\\r\\n", true);
    }

    @Test
    void aRefusedSubscribeDoesNotKeepTheModeForever() throws Exception {
        Codecs.command(codec, "SUBSCRIBE", "a", "b").release();
        endsPinning("-NOPERM this user has no permissions to access one of the channels\\r\\n", false);
        Codecs.command(codec, "UNSUBSCRIBE").release();
        endsPinning("*3\\r\\n$11\\r\\nunsubscribe\\r\\n$-1\\r\\n:0\\r\\n", true);
    }
}
