package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backends killed (SIGKILL), frozen (SIGSTOP) and restarted under steady load from several
 * clients: while one cluster is up no client sees an error, and once everything is back every
 * acknowledged write is on every cluster. The backends keep an fsync'd append-only file, as a
 * server that must survive SIGKILL would.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FaultIT {
    @TempDir
    Path replayDir;
    final List<RedisServer> servers = new ArrayList<>();
    Daemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        servers.forEach(RedisServer::close);
    }

    @Test
    void killFreezeAndRestartUnderLoad() throws Exception {
        for (int i = 0; i < 3; i++) {
            servers.add(RedisServer.start("--appendonly", "yes", "--appendfsync", "always"));
        }
        RedisServer dc1 = servers.get(0);
        RedisServer dc2 = servers.get(1);
        RedisServer dc3 = servers.get(2);
        int port = FreePorts.find();
        daemon = Daemon.start("""
                backend: { connect-timeout-ms: 500, request-timeout-ms: 1000, reconnect-min-ms: 50, reconnect-max-ms: 300 }
                replay: { dir: "%s" }
                listeners:
                  - { name: main, protocol: redis, bind: "127.0.0.1:%d", clusters: [dc1, dc2, dc3] }
                clusters:
                  - { name: dc1, local: true, nodes: ["%s"] }
                  - { name: dc2, nodes: ["%s"] }
                  - { name: dc3, nodes: ["%s"] }
                """.formatted(replayDir, port, dc1.address(), dc2.address(), dc3.address()));

        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        ExecutorService load = Executors.newFixedThreadPool(8);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int writer = c;
            clients.add(load.submit(() -> {
                try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                    for (int i = 0; running.get(); i++) {
                        String key = "w" + writer + ":" + i;
                        assertThat(client.set(key, "v" + i)).isEqualTo("OK");
                        acknowledged.put(key, "v" + i);
                    }
                }
                return null;
            }));
            clients.add(load.submit(() -> {
                try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
                    while (running.get()) {
                        client.get("w" + writer + ":1"); // any answer but an error will do
                        client.exists("w" + writer + ":2");
                        reads.addAndGet(2);
                    }
                }
                return null;
            }));
        }

        Thread.sleep(700);
        dc2.kill();
        Thread.sleep(700);
        dc2.restart();
        Thread.sleep(700);
        // frozen past request-timeout-ms: the node is suspected, then its connection given up on.
        // The timeouts leave room for fsync stalls: every server runs appendfsync always on one
        // shared disk, and a resync of a restarted node writes thousands of keys meanwhile
        dc3.freeze();
        Thread.sleep(2000);
        dc3.thaw();
        Thread.sleep(700);
        dc1.kill();
        Thread.sleep(700);
        dc1.restart();
        Thread.sleep(700);
        running.set(false);
        for (Future<?> client : clients) {
            client.get(30, TimeUnit.SECONDS); // rethrows any error a client saw
        }
        load.shutdown();

        daemon.awaitHealthy();
        assertThat(acknowledged).hasSizeGreaterThan(500);
        assertThat(reads.get()).isGreaterThan(500);
        for (RedisServer server : servers) {
            try (Jedis direct = new Jedis("127.0.0.1", server.port(), 10_000)) {
                List<String> keys = new ArrayList<>(acknowledged.keySet());
                List<String> values = direct.mget(keys.toArray(String[]::new));
                List<String> missing = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    if (!acknowledged.get(keys.get(i)).equals(values.get(i))) {
                        missing.add(keys.get(i) + "=" + values.get(i));
                    }
                }
                assertThat(missing).as("acknowledged writes missing on " + server).isEmpty();
            }
        }
    }
}
