package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;

/**
 * A real Redis Cluster ({@link RedisClusterNodes}) and a single redis-server, the daemon in front
 * of both with one listener on {@link #port}: the setup of the Redis Cluster ITs.
 */
record RedisClusterBesideSingle(RedisClusterNodes cluster, RedisServer single, Daemon daemon, int port) implements AutoCloseable {

    /** The daemon's config, from the listener's port, the Redis Cluster's seed and the single server's address. */
    interface Config {
        String yaml(int port, String seed, String single);
    }

    /**
     * The config most of them use: listener {@code main} on {@code port} writing to both ({@code all}),
     * in front of the Redis Cluster {@code rc} (local; {@code rcLines}, its own settings, one YAML line
     * each: topology options, nodes, TLS) and the single server at {@code single}.
     */
    static String yaml(int port, String single, String... rcLines) {
        StringBuilder rc = new StringBuilder();
        for (String line : rcLines) {
            rc.append("    ").append(line).append('\n');
        }
        return """
                replay: { dir: "" }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [rc, single]
                    write: { policy: all }
                clusters:
                  - name: rc
                    local: true
                    topology: redis-cluster
                %s  - name: single
                    nodes: [%s]
                """.formatted(port, rc, single);
    }

    static RedisClusterBesideSingle start(int masters, int replicasEach, Config config) throws Exception {
        RedisClusterNodes cluster = RedisClusterNodes.start(masters, replicasEach);
        RedisServer single = null;
        try {
            single = RedisServer.start();
            int port = FreePorts.find();
            Daemon daemon = Daemon.start(config.yaml(port, cluster.servers.get(0).address(), single.address()));
            daemon.awaitHealthy();
            return new RedisClusterBesideSingle(cluster, single, daemon, port);
        } catch (Exception | Error e) {
            cluster.close();
            if (single != null) {
                single.close();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        daemon.close();
        cluster.close();
        single.close();
    }
}
