package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MONITOR and CLIENT REPLY through the daemon (two I/O threads, three redis-server clusters), side
 * by side with a redis-server 7.0 of their own: the same commands give the same monitor lines (but
 * the time and the client's port) and the same reply bytes; a monitor sees every client of its
 * listener, on either I/O thread, and only those; one that does not read is disconnected.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisMonitorIT extends ThreeRedisClusters {
    private static final Pattern LINE = Pattern.compile("\\+(\\d+)\\.(\\d{6}) \\[(\\d+) ([^\\]]+)\\] (.*)\r\n");
    static int smallPort;
    /** The reference: one redis-server nobody else talks to. */
    static RedisServer reference;

    /** Hides {@link ThreeRedisClusters#start}: two I/O threads, and a listener with a small output limit. */
    @BeforeAll
    static void start() throws Exception {
        smallPort = FreePorts.find();
        startWith(2, """
                  - name: small
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    limits: { max-output-bytes: 65536, idle-timeout-ms: 1000 }
                """.formatted(smallPort));
        reference = RedisServer.start();
    }

    @AfterAll
    static void stopReference() {
        if (reference != null) {
            reference.close();
        }
    }

    /** The commands of {@link #linesAreRedisServersOwn}, some sent inline; each one's reply is read. */
    private static List<byte[]> script() {
        byte[] binary = "a\u0000b\"c\\d\n\r\t\u0007\b\u007f é".getBytes(StandardCharsets.UTF_8);
        byte[] withFf = new byte[]{'k', (byte) 0xff, (byte) 0x80, 0x1b};
        byte[] everyByte = new byte[256];
        for (int b = 0; b < 256; b++) {
            everyByte[b] = (byte) b;
        }
        List<byte[]> commands = new ArrayList<>(List.of(
                RespClient.encode("SET", "k", "v"),
                RespClient.encode("SET", binary, "x y"),
                RespClient.encode("SET", withFf, "\"quoted\""),
                RespClient.encode("SET", "every-byte", everyByte),
                RespClient.encode("GET", "k"),
                "set inl 'q'\r\n".getBytes(StandardCharsets.US_ASCII),
                RespClient.encode("AUTH", "secret"),
                RespClient.encode("AUTH", "someone", "secret"),
                RespClient.encode("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n"),
                RespClient.encode("HELLO", "2"),
                RespClient.encode("SELECT", "3"),
                RespClient.encode("SET", "k", "123"),
                RespClient.encode("INCR", "k"),
                RespClient.encode("MULTI"),
                RespClient.encode("SET", "t", "1"),
                RespClient.encode("INCR", "t"),
                RespClient.encode("EXEC"),
                RespClient.encode("CONFIG", "GET", "maxmemory"),
                RespClient.encode("CLIENT", "SETNAME", "x"),
                RespClient.encode("CLIENT", "LIST"),
                RespClient.encode("NOSUCH", "a"),
                RespClient.encode("GET"),
                RespClient.encode("SELECT", "0"),
                RespClient.encode("MULTI"),
                RespClient.encode("NOSUCH"),
                RespClient.encode("EXEC"),
                RespClient.encode("EXEC"),
                RespClient.encode("ECHO", "hi"),
                RespClient.encode("PING"),
                RespClient.encode("CLIENT", "REPLY", "ON"),
                RespClient.encode("DEL", "k", "t", "inl", "every-byte")));
        return commands;
    }

    @Test
    void linesAreRedisServersOwn() throws Exception {
        List<String> ours = linesOf(port, true);
        List<String> theirs = linesOf(reference.port(), false);
        assertThat(ours).as("db and command of each line").isEqualTo(theirs);
        assertThat(ours).hasSize(26).contains("0 \"AUTH\" \"(redacted)\" \"(redacted)\"",
                "0 \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"",
                "0 \"SET\" \"a\\x00b\\\"c\\\\d\\n\\r\\t\\a\\b\\x7f \\xc3\\xa9\" \"x y\"");
    }

    /**
     * Runs {@link #script} on a new connection to {@code target} while a monitor watches; returns
     * each line the monitor got for it as "db command", after checking the parts taken out: the
     * time (now, to the microsecond) and the client's address.
     */
    private static List<String> linesOf(int target, boolean proxied) throws Exception {
        try (RespClient monitor = RespClient.connect(target); RespClient client = RespClient.connect(target)) {
            assertThat(exchange(monitor, RespClient.encode("MONITOR"))).isEqualTo("+OK\r\n");
            String addr = infoField((String) client.call("CLIENT", "INFO"), "addr");
            for (byte[] command : script()) {
                client.writeRaw(command);
                client.readRaw();
            }
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = monitor.readRaw();
                Matcher m = LINE.matcher(line);
                assertThat(m.matches()).as(line).isTrue();
                long micros = Long.parseLong(m.group(1)) * 1_000_000 + Long.parseLong(m.group(2));
                assertThat(Math.abs(System.currentTimeMillis() * 1000 - micros)).as("the time of %s", line)
                        .isLessThan(TimeUnit.SECONDS.toMicros(30));
                if (m.group(5).startsWith("\"CLIENT\" \"INFO\"")) {
                    continue;
                }
                assertThat(m.group(4)).as("the sender of %s (through the proxy: %s)", line, proxied).isEqualTo(addr);
                lines.add(m.group(3) + " " + m.group(5));
            } while (!line.contains("\"DEL\""));
            return lines;
        }
    }

    @Test
    void aMonitorSeesEveryClientOfItsListenerOnEveryThread() throws Exception {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Jedis watching = proxy();
        Thread thread = new Thread(() -> {
            try {
                watching.monitor(new JedisMonitor() {
                    @Override
                    public void onCommand(String command) {
                        seen.add(command.replaceFirst("^[0-9.]+ \\[\\d+ [^\\]]+\\] ", ""));
                    }
                });
            } catch (RuntimeException closed) {
                // the test closed the monitor's connection
            }
        }, "monitor");
        thread.start();
        try {
            List<Jedis> clients = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!seen.contains("\"SET\" \"ready\" \"0\"") && System.nanoTime() < deadline) {
                try (Jedis probe = proxy()) {
                    probe.set("ready", "0"); // the monitor is attached once its +OK went out
                }
                Thread.sleep(20);
            }
            for (int i = 0; i < 6; i++) {
                clients.add(proxy());
            }
            try (Jedis other = new Jedis("127.0.0.1", smallPort, 10_000)) {
                other.set("elsewhere", "1");
            }
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).set("key" + i, "value" + i);
            }
            for (Jedis client : clients) {
                client.close();
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                expected.add("\"SET\" \"key" + i + "\" \"value" + i + "\"");
            }
            while (!seen.containsAll(expected) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(seen).containsAll(expected).doesNotContain("\"SET\" \"elsewhere\" \"1\"");
        } finally {
            watching.close();
            thread.join(10_000);
        }
    }

    /** Redis exempts monitors from its idle timeout: they only listen. */
    @Test
    void anIdleMonitorIsNotClosedForIdlenessAnIdleClientIs() throws Exception {
        try (RespClient monitor = RespClient.connect(smallPort); RespClient idle = RespClient.connect(smallPort)) {
            assertThat(exchange(monitor, RespClient.encode("MONITOR"))).isEqualTo("+OK\r\n");
            assertThat(idle.call("PING")).isEqualTo("PONG");
            Thread.sleep(2_500);
            try (RespClient late = RespClient.connect(smallPort)) {
                late.call("SET", "late", "1");
                late.call("DEL", "late");
            }
            assertThat(reduced(monitor.readRaw())).isEqualTo("0 \"PING\"");
            assertThat(reduced(monitor.readRaw())).isEqualTo("0 \"SET\" \"late\" \"1\"");
            assertThat(reduced(monitor.readRaw())).isEqualTo("0 \"DEL\" \"late\"");
            assertThatThrownBy(() -> {
                idle.send("PING");
                idle.read();
            }).as("the plain client was closed for idleness").isInstanceOf(java.io.UncheckedIOException.class);
        }
    }

    @Test
    void aMonitorMayNotTouchTheKeyspaceAsInRedis() throws Exception {
        assertThat(monitorSession(port)).isEqualTo(monitorSession(reference.port()));
    }

    /** A monitor's own commands and what it gets back, lines reduced to their command. */
    private static List<String> monitorSession(int target) throws Exception {
        List<String> got = new ArrayList<>();
        try (RespClient monitor = RespClient.connect(target); RespClient other = RespClient.connect(target)) {
            got.add(exchange(monitor, RespClient.encode("HELLO", "3")).substring(0, 1)); // a map: '%'
            long id = (Long) monitor.call("CLIENT", "ID");
            got.add(exchange(monitor, RespClient.encode("MONITOR")));
            got.add(exchange(monitor, RespClient.encode("GET", "k")));
            got.add(exchange(monitor, RespClient.encode("SET", "k", "v")));
            monitor.send("MONITOR"); // already one: no reply at all
            got.add(exchange(monitor, RespClient.encode("ECHO", "e")));
            got.add(reduced(monitor.readRaw()));
            other.call("SET", "seen", "1");
            got.add(reduced(monitor.readRaw()));
            String monitorLine = java.util.Arrays.stream(((String) other.call("CLIENT", "LIST")).split("\n"))
                    .filter(line -> line.startsWith("id=" + id + " ")).findFirst().orElseThrow();
            got.add(infoField(monitorLine, "flags")); // CLIENT LIST is an admin command: no line for it
            got.add(exchange(monitor, RespClient.encode("RESET")));
            other.call("SET", "unseen", "1");
            got.add(exchange(monitor, RespClient.encode("PING")));
            got.add(exchange(monitor, RespClient.encode("DEL", "seen", "unseen")));
        }
        return got;
    }

    private static String reduced(String line) {
        Matcher m = LINE.matcher(line);
        assertThat(m.matches()).as(line).isTrue();
        return m.group(3) + " " + m.group(5);
    }

    @Test
    void aMonitorThatDoesNotReadIsDisconnectedAndTheDaemonServesOn() throws Exception {
        long before = backends.daemon.engine.metrics().meter("listener.small.output-limit-disconnects").getCount();
        try (Socket sleeper = new Socket()) {
            sleeper.setReceiveBufferSize(4096);
            sleeper.connect(new java.net.InetSocketAddress("127.0.0.1", smallPort), 5_000);
            sleeper.getOutputStream().write(RespClient.encode("MONITOR"));
            sleeper.setSoTimeout(5_000);
            byte[] ok = sleeper.getInputStream().readNBytes(5);
            assertThat(new String(ok, StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
            // lines under max-output-bytes each, few of them: the kernel takes some MB before the daemon holds any
            String value = "v".repeat(50_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            try (Jedis writer = new Jedis("127.0.0.1", smallPort, 10_000)) {
                while (backends.daemon.engine.metrics().meter("listener.small.output-limit-disconnects").getCount() == before
                        && System.nanoTime() < deadline) {
                    for (int i = 0; i < 20; i++) {
                        writer.set("big" + (i % 10), value);
                    }
                }
                assertThat(backends.daemon.engine.metrics().meter("listener.small.output-limit-disconnects").getCount())
                        .isGreaterThan(before);
                assertThat(writer.get("big0")).isEqualTo(value);
                writer.del("big0", "big1", "big2", "big3", "big4", "big5", "big6", "big7", "big8", "big9");
            }
            assertThat(closedAfterDraining(sleeper)).as("the monitor's connection was closed").isTrue();
        }
    }

    /** A command larger than max-output-bytes could never reach a monitor: it is disconnected at once, the writer is served. */
    @Test
    void aCommandLargerThanTheLimitDisconnectsMonitors() throws Exception {
        long before = backends.daemon.engine.metrics().meter("listener.small.output-limit-disconnects").getCount();
        try (RespClient monitor = RespClient.connect(smallPort); RespClient writer = RespClient.connect(smallPort)) {
            assertThat(exchange(monitor, RespClient.encode("MONITOR"))).isEqualTo("+OK\r\n");
            writer.call("SET", "small", "1");
            assertThat(reduced(monitor.readRaw())).isEqualTo("0 \"SET\" \"small\" \"1\"");
            assertThat(writer.call("SET", "huge", "h".repeat(100_000))).isEqualTo("OK");
            assertThatThrownBy(monitor::readRaw).isInstanceOf(java.io.UncheckedIOException.class);
            assertThat(backends.daemon.engine.metrics().meter("listener.small.output-limit-disconnects").getCount())
                    .isEqualTo(before + 1);
            assertThat(writer.call("DEL", "small", "huge")).isEqualTo(2L);
        }
    }

    /** Reads what the daemon had sent until the connection ends. */
    private static boolean closedAfterDraining(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[65536];
        try {
            while (in.read(buffer) >= 0) {
                // what was in flight before the close
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void clientReplyHoldsBackRepliesAsRedisDoes() throws Exception {
        byte[] ours = clientReplySession(port);
        byte[] theirs = clientReplySession(reference.port());
        assertThat(new String(ours, StandardCharsets.UTF_8)).isEqualTo(new String(theirs, StandardCharsets.UTF_8));
        try (Jedis proxied = proxy()) {
            assertThat(proxied.get("r1")).as("written while replies were off").isEqualTo("1");
            assertThat(proxied.get("r3")).isEqualTo("3");
            proxied.del("r1", "r2", "r3", "r4");
        }
    }

    /** Everything one connection gets for a pipeline that turns replies off, skips and on. */
    private static byte[] clientReplySession(int target) throws Exception {
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        for (Object[] command : new Object[][]{
                {"CLIENT", "REPLY", "ON"}, {"CLIENT", "REPLY", "FOO"}, {"CLIENT", "REPLY"}, {"CLIENT", "REPLY", "on", "x"},
                {"CLIENT", "REPLY", "OFF"}, {"SET", "r1", "1"}, {"GET", "r1"}, {"NOSUCH"}, {"INCR", "r1", "x"},
                {"CLIENT", "REPLY", "SKIP"}, {"PING"}, {"CLIENT", "REPLY", "ON"}, {"GET", "r1"},
                {"CLIENT", "REPLY", "SKIP"}, {"SET", "r2", "2"}, {"GET", "r2"},
                {"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "SKIP"}, {"PING", "x"}, {"PING", "y"},
                {"MSET", "r3", "3", "r4", "4"}, {"CLIENT", "REPLY", "OFF"}, {"RESET"}, {"PING", "end"}}) {
            pipeline.writeBytes(RespClient.encode(command));
        }
        try (Socket socket = new Socket("127.0.0.1", target)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(pipeline.toByteArray());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] end = "$3\r\nend\r\n".getBytes(StandardCharsets.US_ASCII);
            while (!new String(got.toByteArray(), StandardCharsets.ISO_8859_1).endsWith(new String(end, StandardCharsets.ISO_8859_1))) {
                int b = in.read();
                assertThat(b).as("more bytes before the last reply; got %s", got).isNotNegative();
                got.write(b);
            }
            return got.toByteArray();
        }
    }

    /** Sends {@code request} and reads the next frame, byte for byte. */
    private static String exchange(RespClient client, byte[] request) {
        client.writeRaw(request);
        return client.readRaw();
    }

    private static String infoField(String info, String name) {
        for (String field : info.strip().split(" ")) {
            if (field.startsWith(name + "=")) {
                return field.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + " in " + info);
    }
}
