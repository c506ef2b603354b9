package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Clients authenticate at the proxy; the proxy authenticates at backends that require a password. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthIT {
    static RedisServer guarded;
    static Daemon daemon;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        guarded = RedisServer.start("--requirepass", "backend-secret");
        port = FreePorts.find();
        daemon = Daemon.start("""
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1]
                    auth:
                      password: client-secret
                      users: [{ name: app, password: app-secret }]
                clusters:
                  - { name: dc1, local: true, nodes: ["%s"], password: "backend-secret" }
                """.formatted(port, guarded.address()));
    }

    @AfterAll
    static void stop() {
        daemon.close();
        guarded.close();
    }

    private static String exchange(String request, int replyBytes) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            return new String(socket.getInputStream().readNBytes(replyBytes), StandardCharsets.UTF_8);
        }
    }

    @Test
    void nothingReachesABackendBeforeTheClientAuthenticated() throws Exception {
        String expected = "-NOAUTH Authentication required.\r\n";
        assertThat(exchange(RedisProxyIT.resp("SET", "intruder", "x"), expected.length())).isEqualTo(expected);
        assertThat(exchange("PING\r\n", expected.length())).isEqualTo(expected);
        try (Jedis direct = new Jedis("127.0.0.1", guarded.port())) {
            direct.auth("backend-secret");
            assertThat(direct.exists("intruder")).isFalse();
        }
        assertThat(daemon.engine.metrics().counter("listener.main.commands.write").getCount()).isPositive();
    }

    @Test
    void wrongPasswordsAreRefusedAndRightOnesLetTheClientIn() {
        try (Jedis client = new Jedis("127.0.0.1", port)) {
            assertThatThrownBy(() -> client.auth("nope")).isInstanceOf(JedisDataException.class).hasMessageContaining("WRONGPASS");
            assertThatThrownBy(() -> client.auth("app", "client-secret")).hasMessageContaining("WRONGPASS");
            assertThat(client.auth("client-secret")).isEqualTo("OK");
            assertThat(client.set("k", "v")).isEqualTo("OK");
        }
        try (Jedis user = new Jedis(new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder().user("app").password("app-secret").build())) {
            assertThat(user.get("k")).isEqualTo("v");
        }
    }

    @Test
    void helloCanAuthenticate() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((RedisProxyIT.resp("HELLO", "2", "AUTH", "app", "app-secret")
                    + RedisProxyIT.resp("PING")).getBytes(StandardCharsets.UTF_8));
            StringBuilder reply = new StringBuilder();
            while (!reply.toString().endsWith("+PONG\r\n")) {
                reply.append((char) socket.getInputStream().read());
            }
            assertThat(reply.toString()).startsWith("*14\r\n$6\r\nserver\r\n");
        }
        assertThat(exchange(RedisProxyIT.resp("HELLO", "2"), 9)).isEqualTo("-NOAUTH H");
    }

    /** HELLO 3 with AUTH and SETNAME in one request; the RESP3 lane's backend connections authenticate at the backend too. */
    @Test
    void helloThreeAuthenticatesNamesAndSwitchesToResp3() {
        try (RespClient client = RespClient.connect(port)) {
            client.writeRaw(RedisProxyIT.resp("HELLO", "3", "AUTH", "app", "wrong").getBytes(StandardCharsets.UTF_8));
            assertThat(client.readRaw()).startsWith("-WRONGPASS");
            client.writeRaw(RedisProxyIT.resp("HELLO", "3", "SETNAME", "r3", "AUTH", "app", "app-secret").getBytes(StandardCharsets.UTF_8));
            assertThat(client.readRaw()).startsWith("%7\r\n$6\r\nserver\r\n").contains("$5\r\nproto\r\n:3\r\n");
            client.writeRaw((RedisProxyIT.resp("HSET", "r3h", "f", "v") + RedisProxyIT.resp("HGETALL", "r3h")
                    + RedisProxyIT.resp("CLIENT", "GETNAME") + RedisProxyIT.resp("GET", "r3-missing")).getBytes(StandardCharsets.UTF_8));
            assertThat(client.readRaw()).isEqualTo(":1\r\n");
            assertThat(client.readRaw()).isEqualTo("%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
            assertThat(client.readRaw()).isEqualTo("$2\r\nr3\r\n");
            assertThat(client.readRaw()).isEqualTo("_\r\n");
        }
    }
}
