package io.metacluster.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code memcached -l 127.0.0.1 -p PORT -U 0} (TCP only) on a free port. Same lifecycle
 * as {@link RedisServer}: stop, kill, restart on the same port, freeze, thaw.
 *
 * <p>{@link #set}, {@link #get} and {@link #delete} speak the text protocol on a fresh connection,
 * so tests can put data behind the proxy's back. Blocking; for test threads.
 */
public final class MemcachedServer extends ServerProcess {
    /** The binary to run; override with {@code -Dmetacluster.memcached=/path}. */
    public static final String BINARY = System.getProperty("metacluster.memcached", "memcached");

    private final List<String> extraArgs;

    private MemcachedServer(int port, List<String> extraArgs) {
        super(port, "memcached");
        this.extraArgs = extraArgs;
    }

    /** Starts a server and waits until it answers {@code version}. */
    public static MemcachedServer start(String... extraArgs) {
        return startOnFreePort(port -> new MemcachedServer(port, List.of(extraArgs)));
    }

    @Override
    protected List<String> commandLine() {
        List<String> line = new ArrayList<>(List.of(BINARY, "-l", "127.0.0.1", "-p", Integer.toString(port()), "-U", "0"));
        if ("root".equals(System.getProperty("user.name"))) {
            line.addAll(List.of("-u", "root")); // memcached refuses to run as root otherwise
        }
        line.addAll(extraArgs);
        return line;
    }

    @Override
    protected boolean answers(Socket socket) throws IOException {
        socket.getOutputStream().write("version\r\n".getBytes(StandardCharsets.US_ASCII));
        String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        return line != null && line.startsWith("VERSION ");
    }

    /** {@code set key 0 0 len}: true when STORED. */
    public boolean set(String key, String value) {
        byte[] data = value.getBytes(StandardCharsets.UTF_8);
        return request("set " + key + " 0 0 " + data.length + "\r\n" + value + "\r\n", false).equals(List.of("STORED"));
    }

    /** {@code get key}: the value, or {@code null} on a miss. */
    public String get(String key) {
        List<String> lines = request("get " + key + "\r\n", true);
        return lines.size() == 3 ? lines.get(1) : null;
    }

    /** {@code delete key}: true when DELETED. */
    public boolean delete(String key) {
        return request("delete " + key + "\r\n", false).equals(List.of("DELETED"));
    }

    /** Sends one text-protocol request; returns its reply lines (up to and including END for a retrieval). */
    public List<String> request(String text, boolean untilEnd) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port()), 10_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (!untilEnd || line.equals("END") || line.endsWith("ERROR") || line.startsWith("CLIENT_ERROR") || line.startsWith("SERVER_ERROR")) {
                    break;
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
