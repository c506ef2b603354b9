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
            Daemon daemon = Daemon.start(config.stripTrailing() + "\n" + DatacenterYaml.clusters(dc1, dc2, dc3));
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

    /**
     * Waits (a propagation is sent after the client's reply) until every cluster holds what dc1
     * holds: the same keys, each with the same {@code DUMP} (type, value, stream IDs and groups)
     * and an expiry on the same keys. A hashtable-encoded set or hash is compared by its sorted
     * contents instead: the order its DUMP lists them in is each server's own (a random hash seed).
     */
    void assertIdenticalCopies() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Map<String, String> first;
        List<Map<String, String>> others;
        do {
            first = dump(dc1);
            others = List.of(dump(dc2), dump(dc3));
            if (others.stream().allMatch(first::equals)) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertThat(others).as("dc2 and dc3 against dc1").containsOnly(first);
    }

    /** Every key of {@code server} with its DUMP, hex-encoded, and whether it expires. */
    private static Map<String, String> dump(RedisServer server) {
        Map<String, String> dumps = new java.util.TreeMap<>();
        try (Jedis direct = direct(server)) {
            for (String key : direct.keys("*")) {
                String expires = direct.pttl(key) > 0 ? " (expires)" : "";
                if ("hashtable".equals(direct.objectEncoding(key))) {
                    String type = direct.type(key);
                    dumps.put(key, type + " " + (type.equals("set") ? new java.util.TreeSet<>(direct.smembers(key))
                            : new java.util.TreeMap<>(direct.hgetAll(key))) + expires);
                    continue;
                }
                byte[] dump = direct.dump(key);
                dumps.put(key, (dump == null ? "(gone)" : java.util.HexFormat.of().formatHex(dump)) + expires);
            }
        }
        return dumps;
    }

    /** A Jedis connection to the proxy on {@code port}, as a traffic client ({@link ReadsAndWrites}). */
    static ReadsAndWrites.Client trafficClient(int port) {
        Jedis client = new Jedis("127.0.0.1", port);
        return new ReadsAndWrites.Client() {
            public boolean set(String key, String value) {
                return "OK".equals(client.set(key, value));
            }

            public String get(String key) {
                return client.get(key);
            }

            public void close() {
                client.close();
            }
        };
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
