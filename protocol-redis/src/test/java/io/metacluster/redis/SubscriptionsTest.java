package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.command;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The counts CLIENT INFO / LIST show, read off the replies a redis-server 7.0 sends a subscribing
 * connection as they pass the codec's pinning rules.
 */
class SubscriptionsTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    @Test
    void channelsPatternsAndShardChannelsAreCountedApart() throws Exception {
        seen("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
        seen(">3\r\n$9\r\nsubscribe\r\n$3\r\nb:c\r\n:2\r\n");
        seen("*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n");
        seen("*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n");
        assertThat(info()).contains(" flags=P ", " sub=2 psub=1 ssub=1 ");
        seen("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\n:9:9:\r\n");
        seen("*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npq\r\n$2\r\n:7\r\n");
        assertThat(info()).as("messages count nothing").contains(" sub=2 psub=1 ssub=1 ");
        seen("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n");
        seen("*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:1\r\n");
        seen("*3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n");
        assertThat(info()).contains(" sub=1 psub=0 ssub=0 ");
        seen("+RESET\r\n");
        assertThat(info()).contains(" flags=N ", " sub=0 psub=0 ssub=0 ");
    }

    private void seen(String message) {
        ByteBuf buf = buf(message);
        try {
            codec.pinning().endsPinning(buf);
            assertThat(buf.readerIndex()).as("indexes left as they were").isZero();
        } finally {
            buf.release();
        }
    }

    private String info() throws Exception {
        Command command = command(codec, "CLIENT", "INFO");
        ByteBuf reply = codec.answer(command, new Codecs.Context());
        try {
            return text(reply);
        } finally {
            reply.release();
            command.release();
        }
    }
}
