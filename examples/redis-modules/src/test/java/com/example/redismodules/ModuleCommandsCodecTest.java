package com.example.redismodules;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The codec of {@code protocol: redis-modules} on the bytes a client sends. */
class ModuleCommandsCodecTest {
    private final ClientCodec codec = new RedisModulesProtocol().newClientCodec(new ClientLimits(1 << 20, 1024, 1 << 16));

    /** The request as a client sends it (multibulk), decoded; the caller releases it. */
    private Command decode(String... words) throws Exception {
        StringBuilder resp = new StringBuilder("*").append(words.length).append("\r\n");
        for (String word : words) {
            resp.append('$').append(word.length()).append("\r\n").append(word).append("\r\n");
        }
        ByteBuf in = Unpooled.copiedBuffer(resp, StandardCharsets.US_ASCII);
        try {
            return codec.decode(in);
        } finally {
            in.release();
        }
    }

    private static List<String> keys(Command command) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < command.keyCount(); i++) {
            keys.add(command.key(i).toString(StandardCharsets.US_ASCII));
        }
        return keys;
    }

    @Test
    void declaredCommandsAreRoutedByTheirKindAndKeys() throws Exception {
        Object[][] cases = {
                {new String[]{"JSON.SET", "doc", "$", "{}"}, CommandKind.WRITE, List.of("doc")},
                {new String[]{"json.get", "doc", "$.a"}, CommandKind.READ, List.of("doc")},
                {new String[]{"JSON.MGET", "a", "b", "$"}, CommandKind.READ, List.of("a", "b")},
                {new String[]{"BF.ADD", "bloom", "x"}, CommandKind.WRITE, List.of("bloom")},
                {new String[]{"BF.EXISTS", "bloom", "x"}, CommandKind.READ, List.of("bloom")},
        };
        for (Object[] c : cases) {
            Command command = decode((String[]) c[0]);
            try {
                assertThat(command.kind()).as(String.join(" ", (String[]) c[0])).isEqualTo(c[1]);
                assertThat(keys(command)).isEqualTo(c[2]);
            } finally {
                command.release();
            }
        }
    }

    /** {@code words} decoded, as the codec routes or refuses them. */
    private String rejection(String... words) throws Exception {
        Command command = decode(words);
        try {
            assertThat(command.kind()).isEqualTo(CommandKind.UNSUPPORTED);
            return command.rejection();
        } finally {
            command.release();
        }
    }

    @Test
    void otherUnknownCommandsAreRefusedAsRedisRefusesThem() throws Exception {
        assertThat(rejection("NOSUCH", "a")).isEqualTo("unknown command 'NOSUCH', with args beginning with: 'a' ");
        assertThat(rejection("BF.ADD", "bloom")).isEqualTo("wrong number of arguments for 'bf.add' command");
    }

    @Test
    void redisCommandsAreRedisOwn() throws Exception {
        Command get = decode("GET", "k");
        try {
            assertThat(get.kind()).isEqualTo(CommandKind.READ);
            assertThat(get.detail()).as("the Redis command table's row").isNotNull();
        } finally {
            get.release();
        }
    }
}
