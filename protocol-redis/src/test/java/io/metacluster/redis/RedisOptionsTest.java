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
        return decode(new RedisOptions(unknown), request);
    }

    private static Command decode(RedisOptions options, String request) throws Exception {
        ClientCodec codec = new RedisProtocol().newClientCodec(ClientLimits.DEFAULTS, options);
        ByteBuf in = buf(request);
        try {
            return codec.decode(in);
        } finally {
            in.release();
        }
    }

    @Test
    void unknownCommandsAreRejectedByDefault() throws Exception {
        Command command = decode((String) null, mb("JSON.SET", "doc", "$", "{}"));
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

    private static CommandKind kind(String serverCommands, String... request) throws Exception {
        Command command = decode(new RedisOptions(null, serverCommands), mb(request));
        try {
            if (command.kind() == CommandKind.UNSUPPORTED) {
                assertThat(command.rejection()).isEqualTo(command.name() + " is refused by metacluster: a server command;"
                        + " protocol-options server-commands: all-clusters sends it to every node of every cluster,"
                        + " read-cluster to the read cluster");
            }
            return command.kind();
        } finally {
            command.release();
        }
    }

    @Test
    void serverCommandsAreRefusedByDefaultOrRoutedAsConfigured() throws Exception {
        for (String[] request : new String[][] {{"CONFIG", "SET", "maxmemory", "1mb"}, {"config", "resetstat"},
                {"BGSAVE"}, {"BGREWRITEAOF"}, {"SLOWLOG", "RESET"}, {"LATENCY", "RESET"}, {"MEMORY", "PURGE"},
                {"ACL", "SETUSER", "u", "on"}, {"ACL", "DELUSER", "u"}, {"ACL", "LOG", "reset"}}) {
            assertThat(kind(null, request)).as(String.join(" ", request)).isEqualTo(CommandKind.UNSUPPORTED);
            assertThat(kind("refuse", request)).isEqualTo(CommandKind.UNSUPPORTED);
            assertThat(kind("all-clusters", request)).isEqualTo(CommandKind.EVERY_NODE);
            assertThat(kind("read-cluster", request)).isEqualTo(CommandKind.READ);
        }
        assertThat(kind(null, "ACL", "LOG")).isEqualTo(CommandKind.READ);
        assertThat(kind(null, "ACL", "LOG", "10")).isEqualTo(CommandKind.READ);
        assertThat(kind(null, "MODULE", "LIST")).isEqualTo(CommandKind.READ);
        assertThat(kind(null, "CONFIG", "GET", "maxmemory")).isEqualTo(CommandKind.READ);
        assertThat(kind(null, "SLOWLOG", "GET")).isEqualTo(CommandKind.READ);
        assertThatThrownBy(() -> new RedisOptions(null, "everywhere"))
                .hasMessage("server-commands must be refuse, all-clusters or read-cluster, got 'everywhere'");
    }
}
