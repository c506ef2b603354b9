package io.metacluster.redis;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code protocol-options: { unknown-commands: ... }}: module commands rejected, or forwarded as reads or writes. */
class RedisOptionsTest {
    private static Command decode(String unknown, String request) throws Exception {
        ClientCodec codec = new RedisProtocol().newClientCodec(ClientLimits.DEFAULTS, new RedisOptions(unknown));
        ByteBuf in = buf(request);
        try {
            return codec.decode(in);
        } finally {
            in.release();
        }
    }

    @Test
    void unknownCommandsAreRejectedByDefault() throws Exception {
        Command command = decode(null, mb("JSON.SET", "doc", "$", "{}"));
        try {
            assertThat(command.kind()).isEqualTo(CommandKind.UNSUPPORTED);
            assertThat(command.rejection()).startsWith("unknown command 'JSON.SET'");
        } finally {
            command.release();
        }
    }

    @Test
    void unknownCommandsCanBeForwardedWithTheirFirstArgumentAsKey() throws Exception {
        Command write = decode("write", mb("JSON.SET", "doc", "$", "{}"));
        Command read = decode("read", mb("json.get", "doc"));
        try {
            assertThat(write.kind()).isEqualTo(CommandKind.WRITE);
            assertThat(write.name()).isEqualTo("JSON.SET");
            assertThat(text(write.key(0))).isEqualTo("doc");
            assertThat(text(write.frame())).isEqualTo(mb("JSON.SET", "doc", "$", "{}"));
            assertThat(read.kind()).isEqualTo(CommandKind.READ);
            assertThat(text(read.key(0))).isEqualTo("doc");
        } finally {
            write.release();
            read.release();
        }
    }

    @Test
    void aBadValueIsRefused() {
        assertThatThrownBy(() -> new RedisOptions("maybe")).hasMessage("unknown-commands must be reject, read or write, got 'maybe'");
    }
}
