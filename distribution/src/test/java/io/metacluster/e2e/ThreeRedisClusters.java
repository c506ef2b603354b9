package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import redis.clients.jedis.Jedis;

/**
 * The daemon in front of three redis-server clusters (dc1 local), for tests of what must leave
 * every cluster holding the same data: each test starts with them healthy and empty and ends by
 * comparing every key's DUMP on every cluster ({@link RedisBackends#assertIdenticalCopies}).
 */
abstract class ThreeRedisClusters {
    static RedisBackends backends;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        // one I/O thread: a blocking pop served by another client's push sends its effect on another
        // loop's connection than the push, and with several loops the effect can reach a remote
        // cluster first (a known limit, README: blocking commands); these tests check the effects
        startWith(1);
    }

    /** For a subclass that hides {@link #start} to run the daemon with more I/O threads. */
    static void startWith(int ioThreads) throws Exception {
        startWith(ioThreads, "");
    }

    /** ... and more listeners: {@code moreListeners} is YAML list items, indented as the first listener's. */
    static void startWith(int ioThreads, String moreListeners) throws Exception {
        port = FreePorts.find();
        backends = RedisBackends.start("""
                io-threads: %d
                backend: { connect-timeout-ms: 500 }
                replay: { dir: "" }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                """.formatted(ioThreads, port) + moreListeners);
    }

    /**
     * {@link #startWith(int, String)} with a second Redis listener {@code name} in front of the three
     * clusters, with {@code options} (YAML lines of the listener, indented as its fields); its port.
     */
    static int startWithSecondListener(int ioThreads, String name, String options) throws Exception {
        int second = FreePorts.find();
        startWith(ioThreads, """
                  - name: %s
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                """.formatted(name, second) + options.stripIndent().indent(4));
        return second;
    }

    @AfterAll
    static void stop() {
        if (backends != null) {
            backends.close();
            backends = null;
        }
    }

    @BeforeEach
    void healthy() throws InterruptedException {
        backends.healthyAndEmpty();
    }

    @AfterEach
    void identical() throws InterruptedException {
        backends.assertIdenticalCopies();
    }

    static Jedis proxy() {
        return new Jedis("127.0.0.1", port, 10_000);
    }
}
