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
     * A stream with consumer groups is compared by {@code XINFO STREAM key FULL} without what a
     * Redis replica's copy differs in too ({@link #streamWithGroups}).
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
                if ("stream".equals(direct.type(key)) && !direct.xinfoGroups(key).isEmpty()) {
                    dumps.put(key, streamWithGroups(direct, key) + expires);
                    continue;
                }
                byte[] dump = direct.dump(key);
                dumps.put(key, (dump == null ? "(gone)" : java.util.HexFormat.of().formatHex(dump)) + expires);
            }
        }
        return dumps;
    }

    /** Fields of XINFO STREAM FULL that a Redis 7.0 replica's copy does not take from its master. */
    private static final java.util.Set<String> REPLICA_OWN = java.util.Set.of("seen-time", "entries-read", "lag");

    /**
     * {@code XINFO STREAM key FULL} (every entry, group, pending entry and consumer) as text, without
     * the consumers' {@code seen-time} and the groups' {@code entries-read} and {@code lag}: a Redis
     * 7.0 replica sets the first by its own clock and loses the others with the XCLAIMs its master
     * replicates for XREADGROUP (seen on redis-server 7.0.15 with a replica; README), so a DUMP,
     * which holds them, differs between a master and its replica too. Delivery times and counts of
     * pending entries are compared.
     */
    static String streamWithGroups(Jedis direct, String key) {
        Object full = direct.sendCommand(redis.clients.jedis.Protocol.Command.XINFO, "STREAM", key, "FULL", "COUNT", "0");
        return render(full);
    }

    private static String render(Object value) {
        if (value instanceof byte[] bytes) {
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
        if (!(value instanceof List<?> list)) {
            return String.valueOf(value);
        }
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < list.size(); i++) {
            if (i % 2 == 0 && i + 1 < list.size() && list.get(i) instanceof byte[] name
                    && REPLICA_OWN.contains(new String(name, java.nio.charset.StandardCharsets.UTF_8))) {
                i++; // a field name and its value in a flat map
                continue;
            }
            out.append(render(list.get(i))).append(' ');
        }
        return out.append(']').toString();
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
