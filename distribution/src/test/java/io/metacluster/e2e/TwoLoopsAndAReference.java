package io.metacluster.e2e;

import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link ThreeRedisClusters} with two I/O threads (clients land on different event loops), and a
 * redis-server that is none of the clusters: what Redis itself does with the same bytes, for tests
 * of the commands the proxy answers about its own clients.
 */
abstract class TwoLoopsAndAReference extends ThreeRedisClusters {
    static RedisServer reference;

    /** Hides {@link ThreeRedisClusters#start}. */
    @BeforeAll
    static void start() throws Exception {
        stop(); // JUnit may have run the hidden one first
        startWith(2);
        reference = RedisServer.start();
    }

    @AfterAll
    static void stopReference() {
        if (reference != null) {
            reference.close();
            reference = null;
        }
    }
}
