package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.TextCommandFactory;
import net.rubyeye.xmemcached.utils.AddrUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Resync of a memcached node restarted empty under traffic, against real memcached processes. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MemcachedResyncIT {
    private static final int PRELOAD = 5_000;

    @TempDir
    Path replayDir;
    MemcachedServer dc1;
    MemcachedServer dc2;
    Daemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        dc1.close();
        dc2.close();
    }

    @Test
    void aLocalNodeRestartedEmptyUnderTrafficMissesNoReadAndIsRefilled() throws Exception {
        int port = start("");
        MemcachedClient client = client(port);
        try {
            for (int i = 0; i < PRELOAD; i++) {
                assertThat(client.set("pre:" + i, i % 2 == 0 ? 0 : 3600, "v" + i)).isTrue();
            }
        } finally {
            client.shutdown();
        }
        ReadsAndWrites traffic = new ReadsAndWrites(() -> new ReadsAndWrites.Client() {
            final MemcachedClient own = client(port);

            public boolean set(String key, String value) throws Exception {
                return own.set(key, 0, value);
            }

            public String get(String key) throws Exception {
                return own.get(key);
            }

            public void close() throws Exception {
                own.shutdown();
            }
        }, PRELOAD);
        traffic.restartEmpty(dc1, daemon, "dc1");
        int written = traffic.written();
        assertThat(daemon.counter("cluster.dc1.resync.completed")).isEqualTo(1);
        for (int i = 0; i < PRELOAD; i += 7) {
            assertThat(dc1.get("pre:" + i)).isEqualTo("v" + i);
        }
        for (int i = 0; i < written; i += 7) {
            assertThat(dc1.get("new:" + i)).isEqualTo("w" + i);
        }
        assertThat(dc1.request("mg pre:1 t\r\n", false).get(0)).matches("HD t3[0-9]{3}");
        assertThat(dc1.request("mg pre:2 t\r\n", false).get(0)).isEqualTo("HD t-1");
    }

    @Test
    void keysDeletedWhileAFrozenNodeOverflowedAreDeletedThereByTheResync() throws Exception {
        int port = start("  max-entries: 50");
        MemcachedClient client = client(port);
        try {
            for (int i = 0; i < 500; i++) {
                assertThat(client.set("k:" + i, 0, "v" + i)).isTrue();
            }
            dc2.freeze(); // hung, not restarted: it keeps what it holds, deleted keys included
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (daemon.engine.clusterHealth().get("dc2")) {
                // taken for hung (its idle probe unanswered): writes are recorded, not sent to it
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(20);
            }
            for (int i = 0; i < 200; i++) {
                assertThat(client.delete("k:" + i)).isTrue();
            }
            daemon.awaitCounter("cluster.dc2.replay.overflows", 1);
            dc2.thaw();
            daemon.awaitCounter("cluster.dc2.resync.completed", 1);
            daemon.awaitHealthy();
        } finally {
            client.shutdown();
        }
        for (int i = 0; i < 500; i++) {
            assertThat(dc2.get("k:" + i)).as("k:" + i).isEqualTo(i < 200 ? null : "v" + i);
        }
        // the deletes the log held when it overflowed were dropped with it: the resync deleted those;
        // the ones after the overflow went to the node directly (out of reads, still written to)
        assertThat(daemon.counter("cluster.dc2.resync.keys-deleted")).isBetween(50L, 200L);
    }

    /** dc1 and dc2, and the daemon in front of them, {@code replay} lines added to its replay block; its port. */
    private int start(String replay) throws Exception {
        dc1 = MemcachedServer.start();
        dc2 = MemcachedServer.start();
        int port = FreePorts.find();
        daemon = Daemon.start(DatacenterYaml.twoReplaying("memcached", port, "dc1, dc2", replayDir, replay, "", dc1, dc2));
        return port;
    }

    private static MemcachedClient client(int port) throws Exception {
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:" + port));
        builder.setCommandFactory(new TextCommandFactory());
        builder.setOpTimeout(5_000);
        return builder.build();
    }
}
