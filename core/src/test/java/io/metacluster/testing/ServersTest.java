package io.metacluster.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class ServersTest {

    @Test
    void freePortsAreDistinct() {
        int[] ports = FreePorts.find(5);
        assertThat(ports).hasSize(5).doesNotHaveDuplicates().doesNotContain(0);
    }

    @Test
    void redisLifecycle() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            assertThat(redis.address()).isEqualTo("127.0.0.1:" + redis.port());
            assertThat(redis.call("SET", "k", "v")).isEqualTo("OK");
            assertThat(redis.call("GET", "k")).isEqualTo("v");
            assertThat(redis.call("GET", "missing")).isNull();
            assertThat(redis.call("RPUSH", "l", "a", "b")).isEqualTo(2L);
            assertThat(redis.call("LRANGE", "l", 0, -1)).isEqualTo(List.of("a", "b"));
            assertThat(redis.call("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
            assertThatThrownBy(() -> redis.call("INCR", "k")).isInstanceOf(RespClient.ServerError.class)
                    .hasMessage("ERR value is not an integer or out of range");
            try (RespClient client = redis.client()) {
                client.send("PING");
                client.send("ECHO", "x");
                assertThat(client.readRaw()).isEqualTo("+PONG\r\n");
                assertThat(client.readRaw()).isEqualTo("$1\r\nx\r\n");
                assertThat(client.call("HELLO", "3")).isInstanceOf(Map.class);
                assertThat(client.call("HGETALL", "nothing")).isEqualTo(Map.of());
            }

            int port = redis.port();
            redis.restart();
            assertThat(redis.port()).isEqualTo(port);
            assertThat(redis.call("GET", "k")).as("no persistence").isNull();

            redis.freeze();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                socket.setSoTimeout(300);
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                redis.thaw();
                socket.setSoTimeout(5000);
                assertThat(new String(socket.getInputStream().readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
            }

            redis.kill();
            assertThat(redis.isRunning()).isFalse();
            assertThatThrownBy(() -> redis.call("PING")).isInstanceOf(UncheckedIOException.class);
            redis.restart();
            assertThat(redis.call("PING")).isEqualTo("PONG");
            redis.freeze();
            redis.stop(); // graceful stop of a frozen server must not hang
            assertThat(redis.isRunning()).isFalse();
        }
    }

    @Test
    void memcachedLifecycle() {
        try (MemcachedServer memcached = MemcachedServer.start()) {
            assertThat(memcached.set("k", "value")).isTrue();
            assertThat(memcached.get("k")).isEqualTo("value");
            assertThat(memcached.delete("k")).isTrue();
            assertThat(memcached.get("k")).isNull();
            memcached.set("k", "v");
            memcached.restart();
            assertThat(memcached.get("k")).isNull();
            memcached.freeze();
            memcached.thaw();
            assertThat(memcached.set("k", "v2")).isTrue();
        }
    }
}
