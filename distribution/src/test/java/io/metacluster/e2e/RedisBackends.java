package io.metacluster.e2e;

import io.metacluster.testing.RedisServer;
import redis.clients.jedis.Jedis;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three real redis-server processes as the clusters dc1 (local), dc2 and dc3, and the daemon in
 * front of them with the listeners a test names; the Redis counterpart of {@link MemcachedBackends}.
 */
final class RedisBackends implements AutoCloseable {
    final RedisServer dc1;
    final RedisServer dc2;
    final RedisServer dc3;
    final List<RedisServer> all;
    final Daemon daemon;

    private RedisBackends(RedisServer dc1, RedisServer dc2, RedisServer dc3, Daemon daemon) {
        this.dc1 = dc1;
        this.dc2 = dc2;
        this.dc3 = dc3;
        this.all = List.of(dc1, dc2, dc3);
        this.daemon = daemon;
    }

    /**
     * Starts the three servers, then the daemon with {@code config} (top-level YAML with the
     * listeners, without {@code clusters:}) followed by the three clusters.
     */
    static RedisBackends start(String config) throws Exception {
        RedisServer dc1 = RedisServer.start();
        RedisServer dc2 = RedisServer.start();
        RedisServer dc3 = RedisServer.start();
        try {
            Daemon daemon = Daemon.start(config.stripTrailing() + "\n" + """
                    clusters:
                      - name: dc1
                        local: true
                        nodes: [%s]
                      - name: dc2
                        nodes: [%s]
                      - name: dc3
                        nodes: [%s]
                    """.formatted(dc1.address(), dc2.address(), dc3.address()));
            return new RedisBackends(dc1, dc2, dc3, daemon);
        } catch (Exception | Error e) {
            dc1.close();
            dc2.close();
            dc3.close();
            throw e;
        }
    }

    /** Waits until every cluster is healthy again (a test may have stopped one), then empties them all. */
    void healthyAndEmpty() throws InterruptedException {
        daemon.awaitHealthy();
        assertThat(daemon.engine.clusterHealth()).isEqualTo(Map.of("dc1", true, "dc2", true, "dc3", true));
        empty();
    }

    /** FLUSHALL on every server, behind the proxy's back. */
    void empty() {
        for (RedisServer server : all) {
            try (Jedis direct = direct(server)) {
                direct.flushAll();
            }
        }
    }

    /** A Jedis straight to {@code server}, no proxy involved; close it when done. */
    static Jedis direct(RedisServer server) {
        return new Jedis("127.0.0.1", server.port(), 10_000);
    }

    @Override
    public void close() {
        daemon.close();
        all.forEach(RedisServer::close);
    }
}
