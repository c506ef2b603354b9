package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.MemcachedServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three real memcached processes as the clusters dc1 (local), dc2 and dc3, the daemon in front of
 * them with a {@code protocol: memcached} listener whose item size is memcached's default (1 MiB),
 * and the raw-socket helpers the memcached end-to-end tests share.
 */
final class MemcachedBackends implements AutoCloseable {
    /** memcached's default item size ({@code -I 1m}), also the listener's {@code max-frame-bytes}. */
    static final int ITEM_SIZE = 1024 * 1024;

    final MemcachedServer dc1;
    final MemcachedServer dc2;
    final MemcachedServer dc3;
    final List<MemcachedServer> all;
    final Daemon daemon;
    final int port;

    private MemcachedBackends(MemcachedServer dc1, MemcachedServer dc2, MemcachedServer dc3, Daemon daemon, int port) {
        this.dc1 = dc1;
        this.dc2 = dc2;
        this.dc3 = dc3;
        this.all = List.of(dc1, dc2, dc3);
        this.daemon = daemon;
        this.port = port;
    }

    static MemcachedBackends start(Path replayDir) throws Exception {
        MemcachedServer dc1 = MemcachedServer.start();
        MemcachedServer dc2 = MemcachedServer.start();
        MemcachedServer dc3 = MemcachedServer.start();
        int port = FreePorts.find();
        try {
            Daemon daemon = Daemon.start("""
                    backend:
                      reconnect-min-ms: 50
                      reconnect-max-ms: 300
                    replay:
                      dir: %s
                    listeners:
                      - name: mc
                        protocol: memcached
                        bind: 127.0.0.1:%d
                        clusters: [dc1, dc2, dc3]
                        limits: { max-frame-bytes: %d }
                    """.formatted(replayDir, port, ITEM_SIZE) + DatacenterYaml.clusters(dc1, dc2, dc3));
            return new MemcachedBackends(dc1, dc2, dc3, daemon, port);
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
        for (MemcachedServer server : all) {
            assertThat(server.request("flush_all\r\n", false)).containsExactly("OK");
        }
    }

    /** Sets {@code key} behind the proxy's back, a different value per cluster. */
    void setDirectly(String key, String onDc1, String onDc2, String onDc3) {
        assertThat(dc1.set(key, onDc1) && dc2.set(key, onDc2) && dc3.set(key, onDc3)).isTrue();
    }

    /** Writes reach the other clusters a little after the client's reply: waits, boundedly, for {@code expected}. */
    static void awaitValue(MemcachedServer server, String key, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!java.util.Objects.equals(expected, server.get(key)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.get(key)).as("%s on %s", key, server).isEqualTo(expected);
    }

    /** The value of {@code key} on {@code server} as bytes, or {@code null} on a miss. */
    static byte[] getBytes(MemcachedServer server, String key) throws IOException {
        try (Socket socket = connect(server.port())) {
            socket.getOutputStream().write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String header = readLine(in);
            if (header.equals("END")) {
                return null;
            }
            int size = Integer.parseInt(header.substring(header.lastIndexOf(' ') + 1));
            byte[] value = in.readNBytes(size);
            assertThat(readLine(in)).isEmpty();
            assertThat(readLine(in)).isEqualTo("END");
            return value;
        }
    }

    /** A server's general statistic, e.g. {@code cmd_get}. */
    static long stat(MemcachedServer server, String name) {
        return server.request("stats\r\n", true).stream().filter(line -> line.startsWith("STAT " + name + " "))
                .map(line -> Long.parseLong(line.substring(line.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    }

    Socket connect() throws IOException {
        return connect(port);
    }

    static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** One line without its CRLF. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("closed after: " + line.toString(StandardCharsets.ISO_8859_1));
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** Reads until what arrived ends with {@code fence}; returns all of it (Latin-1). */
    static String readUntil(InputStream in, String fence) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] chunk = new byte[65536];
        while (!seen.toString(StandardCharsets.ISO_8859_1).endsWith(fence)) {
            int n = in.read(chunk);
            if (n < 0) {
                throw new IOException("closed before " + fence.strip() + "; got: " + seen.toString(StandardCharsets.ISO_8859_1));
            }
            seen.write(chunk, 0, n);
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        daemon.close();
        all.forEach(MemcachedServer::close);
    }
}
