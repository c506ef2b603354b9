package io.metacluster.redis;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Protocol;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

class RedisBackendCodecTest {

    @Test
    void protocolIsAnExtensionNamedRedis() {
        Protocol protocol = new RedisProtocol();
        assertThat(protocol.name()).isEqualTo("redis");
        assertThat(RedisProtocol.class.isAnnotationPresent(org.pf4j.Extension.class)).isTrue();
        assertThat(protocol.newClientCodec(ClientLimits.DEFAULTS)).isInstanceOf(RedisClientCodec.class);
    }

    @Test
    void handshakeAuthenticatesSelectsAndProvesTheServerAnswers() {
        assertThat(handshake(new BackendSettings("dc1", "h:1", null, null, 0))).containsExactly(mb("PING"));
        assertThat(handshake(new BackendSettings("dc1", "h:1", null, "secret", 0)))
                .containsExactly(mb("AUTH", "secret"), mb("PING"));
        assertThat(handshake(new BackendSettings("dc1", "h:1", "app", "secret", 3)))
                .containsExactly(mb("AUTH", "app", "secret"), mb("SELECT", "3"), mb("PING"));
    }

    @Test
    void eachLaneSelectsItsDatabaseAboveTheConfiguredOneAndItsProtocol() {
        RedisProtocol protocol = new RedisProtocol();
        assertThat(protocol.backendLanes()).isEqualTo(32);
        BackendSettings base0 = new BackendSettings("dc1", "h:1", null, null, 0);
        BackendSettings base3 = new BackendSettings("dc1", "h:1", "app", "secret", 3);
        assertThat(handshake(base0, Session.lane(0, true))).containsExactly(mb("HELLO", "3"), mb("PING"));
        assertThat(handshake(base0, Session.lane(9, false))).containsExactly(mb("SELECT", "9"), mb("PING"));
        assertThat(handshake(base3, Session.lane(9, true)))
                .containsExactly(mb("AUTH", "app", "secret"), mb("SELECT", "12"), mb("HELLO", "3"), mb("PING"));
        assertThat(handshake(base3, 0)).containsExactly(mb("AUTH", "app", "secret"), mb("SELECT", "3"), mb("PING"));
    }

    /** The handshake of every lane, sent to a real server, gets no error reply and leaves it in that lane's state. */
    @Test
    void everyLaneHandshakeIsAcceptedByARealServer() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            for (int lane = 0; lane < Session.LANES; lane++) {
                RedisBackendCodec codec = new RedisBackendCodec(new BackendSettings("dc1", redis.address(), null, null, 0), lane);
                try (RespClient client = redis.client()) {
                    for (ByteBuf request : codec.handshake(ByteBufAllocator.DEFAULT)) {
                        byte[] bytes = new byte[request.readableBytes()];
                        request.readBytes(bytes);
                        request.release();
                        client.writeRaw(bytes);
                        ByteBuf reply = Unpooled.wrappedBuffer(client.readRaw().getBytes(StandardCharsets.ISO_8859_1));
                        assertThat(codec.replyLength(reply, null)).isEqualTo(reply.readableBytes());
                        assertThat(codec.isError(null, reply)).as("lane %d: %s", lane, text(reply)).isFalse();
                        reply.release();
                    }
                    client.writeRaw(mb("CLIENT", "INFO").getBytes(StandardCharsets.ISO_8859_1));
                    String info = client.readRaw();
                    assertThat(info).contains(" db=" + Session.databaseOf(lane) + " ")
                            .contains(" resp=" + (Session.resp3(lane) ? 3 : 2) + "\n");
                }
            }
        }
    }

    private static List<String> handshake(BackendSettings settings) {
        return handshake(settings, 0);
    }

    private static List<String> handshake(BackendSettings settings, int lane) {
        List<String> out = new ArrayList<>();
        for (ByteBuf request : new RedisBackendCodec(settings, lane).handshake(ByteBufAllocator.DEFAULT)) {
            out.add(text(request));
            request.release();
        }
        return out;
    }

    @Test
    void errorsAreRecognised() {
        BackendCodec codec = new RedisBackendCodec(new BackendSettings("dc1", "h:1", null, null, 0));
        for (String[] c : new String[][]{{"-ERR x\r\n", "true"}, {"!3\r\nERR\r\n", "true"}, {"+OK\r\n", "false"},
                {"$-1\r\n", "false"}, {"*1\r\n-ERR inside\r\n", "false"}}) {
            ByteBuf reply = buf(c[0]);
            assertThat(codec.isError(null, reply)).as(c[0]).isEqualTo(Boolean.parseBoolean(c[1]));
            reply.release();
        }
    }

    /** A real server's pipelined replies, split by the codec fed in small uneven chunks. */
    @Test
    void splitsARealServersPipelinedReplies() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            ByteArrayOutputStream requests = new ByteArrayOutputStream();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String[][] batch = {{"SET", "k" + i, "v\r\n".repeat(i)}, {"GET", "k" + i}, {"INCR", "k" + i},
                        {"RPUSH", "l", "a" + i, "b"}, {"LRANGE", "l", "0", "-1"}, {"HSET", "h" + i, "f", "v"},
                        {"HGETALL", "h" + i}, {"GET", "missing"}, {"NOSUCH"}, {"SCAN", "0"}, {"XADD", "s", "*", "f", "v"},
                        {"XRANGE", "s", "-", "+", "COUNT", "3"}};
                for (String[] args : batch) {
                    requests.writeBytes(mb(args).getBytes(StandardCharsets.ISO_8859_1));
                    names.add(args[0]);
                }
            }
            requests.writeBytes(mb("PING").getBytes(StandardCharsets.ISO_8859_1));
            byte[] raw;
            try (Socket socket = new Socket("127.0.0.1", redis.port())) {
                socket.getOutputStream().write(requests.toByteArray());
                socket.setSoTimeout(10_000);
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream replies = new ByteArrayOutputStream();
                byte[] chunk = new byte[8192];
                // the last reply is +PONG
                while (!replies.toString(StandardCharsets.ISO_8859_1).endsWith("+PONG\r\n")) {
                    int n = in.read(chunk);
                    replies.write(chunk, 0, n);
                }
                raw = replies.toByteArray();
            }
            BackendCodec codec = new RedisBackendCodec(new BackendSettings("dc1", redis.address(), null, null, 0));
            ByteBuf in = Unpooled.buffer();
            List<String> frames = new ArrayList<>();
            int errors = 0;
            try {
                int step = 1;
                for (int i = 0; i < raw.length; i += step, step = step % 97 + 13) {
                    in.writeBytes(raw, i, Math.min(step, raw.length - i));
                    int length;
                    while (in.isReadable() && (length = codec.replyLength(in, null)) > 0) {
                        ByteBuf reply = in.readSlice(length);
                        errors += codec.isError(null, reply) ? 1 : 0;
                        frames.add(text(reply));
                    }
                    in.discardSomeReadBytes();
                }
            } finally {
                in.release();
            }
            assertThat(frames).hasSize(names.size() + 1);
            assertThat(errors).as("INCR of a non-number (\"\" included), and NOSUCH").isEqualTo(200 + 200);
            assertThat(String.join("", frames)).isEqualTo(new String(raw, StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void everyAdminCommandHasAnAnswer() {
        List<CommandInfo> admin = new ArrayList<>();
        for (CommandInfo info : CommandTable.standard().commands()) {
            if (info.isContainer()) {
                info.subcommands().commands().stream().filter(s -> s.kind() == CommandKind.ADMIN).forEach(admin::add);
            } else if (info.kind() == CommandKind.ADMIN) {
                admin.add(info);
            }
        }
        assertThat(admin).hasSize(23);
        for (CommandInfo info : admin) {
            String[] args = info.name().split("\\|");
            List<String> words = new ArrayList<>(List.of(args));
            while (!info.arityAccepts(words.size())) {
                words.add(words.size() == 2 && info.name().equals("client|setinfo") ? "lib-name" : "0");
            }
            ByteBuf in = buf(mb(words.toArray(String[]::new)));
            RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS); // MULTI changes a codec's state
            try {
                var command = codec.decode(in);
                ByteBuf reply = codec.answer(command, new Codecs.Context());
                assertThat(text(reply)).as(info.name()).doesNotContain("not answered");
                reply.release();
                command.release();
            } catch (Exception e) {
                throw new AssertionError(info.name(), e);
            } finally {
                in.release();
                codec.closed();
            }
        }
    }
}
