package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.metacluster.redis.Codecs.buf;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a client's commands become around CLIENT TRACKING: a conversation on the tracking
 * connection from ON to OFF or RESET, and Redis 7.0's own errors for options it refuses before
 * looking at the client's state (the IT compares them with a real server's bytes).
 */
class ClientTrackingTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    /** What {@code words} becomes: its kind, and for a conversation's step whether it ends it. */
    private String decoded(String... words) throws Exception {
        Command command = Codecs.command(codec, words);
        try {
            if (command.kind() == CommandKind.UNSUPPORTED) {
                return "refused: " + command.rejection();
            }
            if (command.detail() instanceof WatchedTransaction.Watched watched) {
                return "pinned " + watched.step() + (codec.pinning().endsConversation(command) ? ", ends" : "");
            }
            return command.kind().toString();
        } finally {
            command.release();
        }
    }

    @Test
    void fromOnToOffTheClientsKeyedCommandsAreTheTrackingConversations() throws Exception {
        assertThat(decoded("GET", "k")).isEqualTo("READ");
        assertThat(decoded("CLIENT", "GETREDIR")).as("without tracking: the read cluster").isEqualTo("READ");
        assertThat(decoded("CLIENT", "TRACKING", "OFF")).as("off while off: the read cluster").isEqualTo("READ");
        Command on = Codecs.command(codec, "CLIENT", "TRACKING", "ON", "OPTIN");
        assertThat(codec.pinning().conversation(on)).as("ON starts a conversation").isTrue();
        assertThat(codec.pinning().endsConversation(on)).isFalse();
        on.release();
        assertThat(decoded("GET", "k")).isEqualTo("pinned DIRECT");
        assertThat(decoded("SET", "k", "v")).isEqualTo("pinned DIRECT");
        assertThat(decoded("SPOP", "s")).isEqualTo("pinned DIRECT");
        assertThat(decoded("BLPOP", "l", "0")).isEqualTo("pinned DIRECT");
        assertThat(decoded("CLIENT", "CACHING", "yes")).isEqualTo("pinned SETUP");
        assertThat(decoded("CLIENT", "TRACKINGINFO")).isEqualTo("pinned SETUP");
        assertThat(decoded("CLIENT", "TRACKING", "ON", "BCAST")).as("the server judges a change").isEqualTo("pinned SETUP");
        assertThat(decoded("INFO")).as("keyless: nothing to track, the proxy's own section").isEqualTo("READ");
        assertThat(decoded("PING")).isEqualTo("ADMIN");
        assertThat(decoded("SELECT", "1")).startsWith("refused: SELECT while CLIENT TRACKING is on");
        assertThat(decoded("SUBSCRIBE", "c")).startsWith("refused: SUBSCRIBE while CLIENT TRACKING is on");
        assertThat(decoded("WATCH", "k")).startsWith("refused: WATCH while CLIENT TRACKING is on");
        assertThat(decoded("CLIENT", "TRACKING", "OFF")).isEqualTo("pinned ENDS, ends");
        assertThat(decoded("GET", "k")).isEqualTo("READ");
        assertThat(decoded("WATCH", "k")).as("a WATCH conversation again").isEqualTo("pinned SETUP");
    }

    @Test
    void resetEndsTrackingAndTheClientsSession() throws Exception {
        assertThat(decoded("HELLO", "3")).isEqualTo("ADMIN");
        Command hello = Codecs.command(codec, "HELLO", "3");
        codec.answer(hello, new Codecs.Context()).release();
        hello.release();
        assertThat(decoded("CLIENT", "TRACKING", "ON")).isEqualTo("pinned SETUP");
        assertThat(decoded("RESET")).isEqualTo("pinned ENDS, ends");
        Command after = Codecs.command(codec, "GET", "k");
        assertThat(after.kind()).isEqualTo(CommandKind.READ);
        assertThat(Session.resp3(after.lane())).as("RESET went back to RESP2").isFalse();
        after.release();
    }

    @Test
    void insideMultiTrackingIsRefusedAndNothingChanges() throws Exception {
        Command multi = Codecs.command(codec, "MULTI");
        codec.answer(multi, new Codecs.Context()).release();
        multi.release();
        assertThat(decoded("CLIENT", "TRACKING", "ON")).isEqualTo("refused: CLIENT TRACKING inside MULTI is not supported by metacluster");
        assertThat(decoded("GET", "k")).as("queued, answered QUEUED by the proxy").isEqualTo("ADMIN");
    }

    @Test
    void aSubscriberCannotTrackOnTheSubscribedConnection() throws Exception {
        Command subscribe = Codecs.command(codec, "SUBSCRIBE", "c");
        subscribe.release();
        Command resp2 = Codecs.command(codec, "CLIENT", "TRACKING", "ON");
        assertThat(codec.pinning().whilePinned(resp2)).as("RESP2: Redis's own refusal while subscribed")
                .isEqualTo(io.metacluster.spi.Pinning.Route.REFUSE);
        resp2.release();
        Command hello = Codecs.command(codec, "HELLO", "3");
        codec.answer(hello, new Codecs.Context()).release();
        hello.release();
        assertThat(decoded("CLIENT", "TRACKING", "ON"))
                .isEqualTo("refused: CLIENT TRACKING while subscribed is not supported by metacluster (use another connection)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "ON ; ",
            "OFF BCAST OPTIN ; ",
            "ON NOLOOP OPTOUT ; ",
            "ON BCAST PREFIX a PREFIX b NOLOOP ; ",
            "MAYBE ; syntax error",
            "ON FOO ; syntax error",
            "ON PREFIX ; syntax error",
            "ON PREFIX a ; PREFIX option requires BCAST mode to be enabled",
            "ON BCAST OPTIN ; OPTIN and OPTOUT are not compatible with BCAST",
            "ON OPTIN OPTOUT ; You can't specify both OPTIN mode and OPTOUT mode",
            "ON BCAST PREFIX ab PREFIX a ; Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.",
            "ON REDIRECT 7 FOO ; " + ClientTracking.REDIRECT_REFUSED,
    })
    void optionsAreCheckedAsRedisDoes(String options, String error) throws Exception {
        String[] words = ("CLIENT TRACKING " + options.trim()).split(" ");
        String decoded = decoded(words);
        if (error == null) {
            assertThat(decoded).doesNotStartWith("refused");
        } else {
            assertThat(decoded).isEqualTo("refused: " + error);
        }
    }

    @Test
    void aPushIsUnsolicitedAndAReplyIsNot() {
        ByteBuf push = buf(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
        ByteBuf reply = buf("*2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
        ByteBuf empty = ByteBufAllocator.DEFAULT.buffer(0);
        try {
            assertThat(codec.pinning().unsolicited(push)).isTrue();
            assertThat(codec.pinning().unsolicited(reply)).isFalse();
            assertThat(codec.pinning().unsolicited(empty)).isFalse();
            assertThat(push.readerIndex()).as("borrowed, indexes untouched").isZero();
        } finally {
            push.release();
            reply.release();
            empty.release();
        }
    }
}
