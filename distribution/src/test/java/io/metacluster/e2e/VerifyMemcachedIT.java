package io.metacluster.e2e;

import com.codahale.metrics.Meter;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read verification against three real memcached processes: value and flags compared (cas never),
 * text {@code get} and meta {@code mg}, and each repair policy's effect on every server,
 * flags and remaining TTL included for {@code local-wins}. dc1 is local and serves the reads.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VerifyMemcachedIT {
    static MemcachedServer dc1;
    static MemcachedServer dc2;
    static MemcachedServer dc3;
    static Daemon daemon;
    static final Map<String, Integer> ports = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        dc1 = MemcachedServer.start();
        dc2 = MemcachedServer.start();
        dc3 = MemcachedServer.start();
        StringBuilder listeners = new StringBuilder();
        for (String repair : List.of("none", "invalidate", "local-wins", "majority")) {
            int port = FreePorts.find();
            ports.put(repair, port);
            listeners.append("""
                      - name: %s
                        protocol: memcached
                        bind: 127.0.0.1:%d
                        clusters: %s
                        verify: { strategy: sampled, rate: 1, repair: %s, recheck-delay-ms: 20 }
                    """.formatted(repair, port, repair.equals("local-wins") ? "[dc1, dc2]" : "[dc1, dc2, dc3]", repair));
        }
        daemon = Daemon.start("""
                listeners:
                %s
                clusters:
                  - { name: dc1, local: true, nodes: [%s] }
                  - { name: dc2, nodes: [%s] }
                  - { name: dc3, nodes: [%s] }
                """.formatted(listeners.toString().stripTrailing(), dc1.address(), dc2.address(), dc3.address()));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        for (MemcachedServer server : new MemcachedServer[]{dc1, dc2, dc3}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @BeforeEach
    void empty() {
        for (MemcachedServer server : List.of(dc1, dc2, dc3)) {
            assertThat(server.request("flush_all\r\n", false)).containsExactly("OK");
        }
    }

    static long count(String listener, String metric) {
        Meter meter = daemon.engine.metrics().getMeters().get("listener." + listener + ".verify." + metric);
        return meter == null ? 0 : meter.getCount();
    }

    static void set(MemcachedServer server, String key, int flags, int ttl, String value) {
        assertThat(server.request("set %s %d %d %d\r\n%s\r\n".formatted(key, flags, ttl, value.length(), value), false))
                .containsExactly("STORED");
    }

    /** {@code mg key v f t} straight on a server: "value f<flags> t<ttl>", or "EN". */
    static String state(MemcachedServer server, String key) throws IOException {
        try (Socket socket = MemcachedBackends.connect(server.port())) {
            socket.getOutputStream().write(("mg " + key + " v f t\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String header = MemcachedBackends.readLine(in);
            if (!header.startsWith("VA ")) {
                return header;
            }
            String[] parts = header.split(" ");
            return MemcachedBackends.readLine(in) + " " + parts[2] + " " + parts[3];
        }
    }

    /** Sends {@code request} through {@code listener} until {@code metric} grew by one; replies are read to {@code fence}. */
    static void readUntil(String listener, String metric, String request, String fence) throws Exception {
        long before = count(listener, metric);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Socket socket = MemcachedBackends.connect(ports.get(listener))) {
            InputStream in = socket.getInputStream();
            while (count(listener, metric) <= before) {
                assertThat(System.nanoTime()).as("%s.%s did not grow", listener, metric).isLessThan(deadline);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                MemcachedBackends.readUntil(in, fence);
                Thread.sleep(30);
            }
        }
    }

    static String get(String listener, String request, String fence) throws IOException {
        try (Socket socket = MemcachedBackends.connect(ports.get(listener))) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return MemcachedBackends.readUntil(socket.getInputStream(), fence);
        }
    }

    @Test
    void differentCasUniquesAreNoDivergenceButDifferentFlagsAre() throws Exception {
        for (MemcachedServer server : List.of(dc1, dc2, dc3)) {
            set(server, "same", 3, 0, "v");
        }
        // every server numbers its own cas uniques: gets replies differ in bytes, not in data
        set(dc2, "bump", 0, 0, "x");
        set(dc2, "same", 3, 0, "v");
        long mismatches = count("none", "mismatch");
        readUntil("none", "match", "gets same\r\n", "END\r\n");
        readUntil("none", "match", "mg same v f c t\r\n", "\r\n");
        assertThat(count("none", "mismatch")).isEqualTo(mismatches);

        set(dc1, "flags", 1, 0, "v");
        set(dc2, "flags", 2, 0, "v");
        set(dc3, "flags", 2, 0, "v");
        readUntil("none", "mismatch", "get flags\r\n", "END\r\n");
        assertThat(state(dc2, "flags")).isEqualTo("v f2 t-1");
        assertThat(get("none", "me flags\r\n", "\r\n")).isNotEmpty();
    }

    @Test
    void metaGetFindsADifferentValue() throws Exception {
        set(dc1, "meta", 0, 0, "one");
        set(dc2, "meta", 0, 0, "two");
        set(dc3, "meta", 0, 0, "two");
        readUntil("none", "mismatch", "mg meta v\r\n", "\r\n");
    }

    @Test
    void invalidateDeletesTheKeyOnEveryServer() throws Exception {
        set(dc1, "inv", 0, 0, "a");
        set(dc2, "inv", 0, 0, "b");
        set(dc3, "inv", 0, 0, "a");
        readUntil("invalidate", "repaired", "get inv\r\n", "END\r\n");
        for (MemcachedServer server : List.of(dc1, dc2, dc3)) {
            assertThat(state(server, "inv")).isEqualTo("EN");
        }
    }

    @Test
    void localWinsCopiesValueFlagsAndRemainingTtl() throws Exception {
        set(dc1, "lw", 42, 100, "served");
        set(dc2, "lw", 7, 0, "stale");
        set(dc1, "lw:gone", 0, 0, "x");
        readUntil("local-wins", "repaired", "get lw\r\n", "END\r\n");
        assertThat(state(dc2, "lw")).matches("served f42 t(9[0-9]|100)");
        assertThat(state(dc1, "lw")).matches("served f42 t(9[0-9]|100)");
        assertThat(state(dc3, "lw")).isEqualTo("EN");

        set(dc2, "lw:absent", 0, 0, "only here");
        readUntil("local-wins", "repaired", "mg lw:absent v\r\n", "\r\n");
        assertThat(state(dc2, "lw:absent")).as("absent on the serving cluster: deleted").isEqualTo("EN");
    }

    @Test
    void majorityCopiesWhatMostServersHold() throws Exception {
        set(dc1, "mj", 1, 0, "minority");
        set(dc2, "mj", 5, 0, "majority");
        set(dc3, "mj", 5, 0, "majority");
        readUntil("majority", "repaired", "get mj\r\n", "END\r\n");
        for (MemcachedServer server : List.of(dc1, dc2, dc3)) {
            assertThat(state(server, "mj")).isEqualTo("majority f5 t-1");
        }
        set(dc1, "mj:none", 0, 0, "a");
        set(dc2, "mj:none", 0, 0, "b");
        set(dc3, "mj:none", 0, 0, "c");
        readUntil("majority", "repaired", "get mj:none\r\n", "END\r\n");
        for (MemcachedServer server : List.of(dc1, dc2, dc3)) {
            assertThat(state(server, "mj:none")).isEqualTo("EN");
        }
    }
}
