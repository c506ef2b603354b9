package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.LeakDetection;
import io.metacluster.testing.MemcachedServer;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.metacluster.testing.FuzzKit.ascii;
import static io.metacluster.testing.FuzzKit.concat;
import static io.metacluster.testing.FuzzKit.splice;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon (install tree's plugin jars) in front of real redis-servers and memcached servers,
 * while many raw sockets send it fuzzed bytes on a Redis and a memcached listener: mutated RESP
 * and inline requests, memcached text, meta and binary requests, huge and negative lengths, deep
 * nesting, random bytes, written in random pieces, read or not, closed politely or abruptly.
 * Meanwhile a well-behaved Jedis client and a well-behaved memcached text client, each on its own
 * connection, keep working and keep seeing exactly the data they wrote. Afterwards the daemon
 * still serves new clients and no buffer leaked (the LeakDetection extension checks the class;
 * the test checks once more itself).
 *
 * <p>Fuzzed bytes are kept from wiping the data the good clients check: commands that flush or
 * swap a whole database are defused in the fuzz streams (a byte changed), and no fuzz seed names
 * a good client's key. Seeded: {@code -Dfuzz.seed=N} (default fixed); {@code -Dfuzz.itSeconds}
 * sets the length of the run (default 12).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuzzIT {
    @TempDir
    static Path replayDir;
    static RedisServer redis1;
    static RedisServer redis2;
    static MemcachedServer mc1;
    static MemcachedServer mc2;
    static Daemon daemon;
    static int redisPort;
    static int memcachedPort;

    @BeforeAll
    static void start() throws Exception {
        redis1 = RedisServer.start();
        redis2 = RedisServer.start();
        mc1 = MemcachedServer.start();
        mc2 = MemcachedServer.start();
        int[] ports = FreePorts.find(2);
        redisPort = ports[0];
        memcachedPort = ports[1];
        // write policy "all": a write is acknowledged once every cluster has it, so the good
        // clients can read their own writes from whichever cluster serves the read
        daemon = Daemon.start("""
                backend: { reconnect-min-ms: 50, reconnect-max-ms: 300 }
                replay: { dir: "%s" }
                listeners:
                  - name: redis
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [r1, r2]
                    write: { policy: all }
                    limits: { max-frame-bytes: 1048576, max-elements: 4096, max-inline-bytes: 4096 }
                  - name: mc
                    protocol: memcached
                    bind: 127.0.0.1:%d
                    clusters: [m1, m2]
                    write: { policy: all }
                    limits: { max-frame-bytes: 1048576, max-elements: 4096, max-inline-bytes: 4096 }
                clusters:
                  - { name: r1, local: true, nodes: [%s] }
                  - { name: r2, nodes: [%s] }
                  - { name: m1, local: true, nodes: [%s] }
                  - { name: m2, nodes: [%s] }
                """.formatted(replayDir, redisPort, memcachedPort, redis1.address(), redis2.address(), mc1.address(),
                mc2.address()));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        for (AutoCloseable server : new AutoCloseable[] {redis1, redis2, mc1, mc2}) {
            try {
                if (server != null) {
                    server.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    @Test
    void fuzzedConnectionsLeaveWellBehavedClientsAndTheDaemonUnharmed() throws Exception {
        long seed = Long.getLong("fuzz.seed", 0x6d657461636c7573L);
        long seconds = Long.getLong("fuzz.itSeconds", 12);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int fuzzers = 12;
        ExecutorService pool = Executors.newFixedThreadPool(fuzzers + 2);
        AtomicLong connections = new AtomicLong();
        AtomicLong bytesSent = new AtomicLong();
        try {
            List<Future<Long>> good = List.of(
                    pool.submit(() -> goodRedisClient(deadline)),
                    pool.submit(() -> goodMemcachedClient(deadline)));
            List<Future<?>> bad = new ArrayList<>();
            for (int i = 0; i < fuzzers; i++) {
                SplittableRandom random = new SplittableRandom(seed + 7919L * i);
                boolean redis = i % 2 == 0;
                bad.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        bytesSent.addAndGet(fuzzConnection(random, redis));
                        connections.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : bad) {
                f.get(seconds + 60, TimeUnit.SECONDS);
            }
            long redisOps = good.get(0).get(60, TimeUnit.SECONDS);
            long memcachedOps = good.get(1).get(60, TimeUnit.SECONDS);
            System.out.printf(Locale.ROOT, "[fuzz] FuzzIT: %,d fuzzed connections, %,d bytes; good clients: %,d redis and %,d memcached"
                    + " operations, all correct (seed %d)%n", connections.get(), bytesSent.get(), redisOps, memcachedOps, seed);
            assertThat(connections.get()).isGreaterThan(100);
            assertThat(redisOps).isPositive();
            assertThat(memcachedOps).isPositive();
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }

        // the daemon still serves newcomers
        try (Jedis jedis = new Jedis("127.0.0.1", redisPort, 5_000)) {
            assertThat(jedis.ping()).isEqualTo("PONG");
            assertThat(jedis.set("good:after", "still here")).isEqualTo("OK");
            assertThat(jedis.get("good:after")).isEqualTo("still here");
        }
        try (Socket socket = connect(memcachedPort)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(ascii("set good:after 0 0 10\r\nstill here\r\nget good:after\r\nversion\r\n"));
            assertThat(line(in)).isEqualTo("STORED");
            assertThat(line(in)).isEqualTo("VALUE good:after 0 10");
            assertThat(line(in)).isEqualTo("still here");
            assertThat(line(in)).isEqualTo("END");
            assertThat(line(in)).startsWith("VERSION ");
        }
        assertThat(LeakDetection.collect()).as("Netty leak reports during the fuzz run").isEmpty();
    }

    // ------------------------------------------------------------------ the well-behaved clients

    /** SET, GET, APPEND, DEL of its own keys with Jedis, every answer checked; returns the operations done. */
    private static long goodRedisClient(long deadline) {
        long ops = 0;
        try (Jedis jedis = new Jedis("127.0.0.1", redisPort, 10_000)) {
            for (int i = 0; System.nanoTime() < deadline; i++) {
                String key = "good:r:" + (i % 50);
                String value = "v" + i + "-" + "x".repeat(i % 200);
                assertThat(jedis.set(key, value)).isEqualTo("OK");
                assertThat(jedis.get(key)).as("GET %s after SET", key).isEqualTo(value);
                assertThat(jedis.append(key, "!")).isEqualTo(value.length() + 1L);
                assertThat(jedis.get(key)).isEqualTo(value + "!");
                if (i % 5 == 0) {
                    assertThat(jedis.del(key)).isEqualTo(1L);
                    assertThat(jedis.get(key)).isNull();
                }
                assertThat(jedis.ping()).isEqualTo("PONG");
                ops += 6;
            }
        }
        return ops;
    }

    /** set, get, append, delete of its own keys in the text protocol, every reply checked byte for byte. */
    private static long goodMemcachedClient(long deadline) throws IOException {
        long ops = 0;
        try (Socket socket = connect(memcachedPort)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 0; System.nanoTime() < deadline; i++) {
                String key = "good:m:" + (i % 50);
                String value = "v" + i + "-" + "y".repeat(i % 200);
                out.write(ascii("set " + key + " " + i + " 0 " + value.length() + "\r\n" + value + "\r\nget " + key + "\r\n"));
                assertThat(line(in)).as("set %s", key).isEqualTo("STORED");
                assertThat(line(in)).isEqualTo("VALUE " + key + " " + i + " " + value.length());
                assertThat(line(in)).isEqualTo(value);
                assertThat(line(in)).isEqualTo("END");
                out.write(ascii("append " + key + " 0 0 1\r\n!\r\nmg " + key + " v\r\n"));
                assertThat(line(in)).isEqualTo("STORED");
                assertThat(line(in)).isEqualTo("VA " + (value.length() + 1));
                assertThat(line(in)).isEqualTo(value + "!");
                if (i % 5 == 0) {
                    out.write(ascii("delete " + key + "\r\nget " + key + "\r\n"));
                    assertThat(line(in)).isEqualTo("DELETED");
                    assertThat(line(in)).isEqualTo("END");
                }
                out.write(ascii("mn\r\n"));
                assertThat(line(in)).isEqualTo("MN");
                ops += 5;
            }
        }
        return ops;
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        throw new IOException("connection closed by the daemon after: " + line.toString(StandardCharsets.ISO_8859_1));
    }

    // ------------------------------------------------------------------ the fuzzers

    /** One connection's worth of fuzz: returns the bytes sent. Errors of the connection itself are expected. */
    private static long fuzzConnection(SplittableRandom r, boolean redis) {
        byte[] input = redis ? redisStream(r) : memcachedStream(r);
        long sent = 0;
        try (Socket socket = connect(redis ? redisPort : memcachedPort)) {
            socket.setSoTimeout(50);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            int from = 0;
            while (from < input.length) {
                int to = r.nextInt(3) == 0 ? input.length : Math.min(input.length, from + 1 + r.nextInt(64));
                out.write(input, from, to - from);
                out.flush();
                sent += to - from;
                from = to;
                if (r.nextInt(8) == 0) {
                    Thread.sleep(r.nextInt(3));
                }
            }
            switch (r.nextInt(4)) {
                case 0 -> { // abrupt: RST, replies unread
                    socket.setSoLinger(true, 0);
                }
                case 1 -> { // half-close and read what comes, briefly
                    socket.shutdownOutput();
                    drain(in, 200);
                }
                default -> drain(in, 30 + r.nextInt(100));
            }
        } catch (IOException e) {
            // the daemon closed the connection (protocol error) or reset it: expected
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return sent;
    }

    private static void drain(InputStream in, long millis) throws IOException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        byte[] sink = new byte[8192];
        while (System.nanoTime() < until) {
            try {
                if (in.read(sink) < 0) {
                    return;
                }
            } catch (SocketTimeoutException e) {
                // nothing yet
            }
        }
    }

    private static final String[][] REDIS_SEEDS = {
            {"SET", "fz:a", "hello"}, {"GET", "fz:a"}, {"MGET", "fz:a", "fz:b", "fz:c"}, {"MSET", "fz:a", "1", "fz:b", "2"},
            {"INCR", "fz:n"}, {"HSET", "fz:h", "f", "v"}, {"LPUSH", "fz:l", "a", "b"}, {"LRANGE", "fz:l", "0", "-1"},
            {"ZADD", "fz:z", "1", "m"}, {"ZUNIONSTORE", "fz:d", "2", "fz:z", "fz:y"}, {"XADD", "fz:s", "*", "f", "v"},
            {"XREAD", "COUNT", "1", "STREAMS", "fz:s", "0"}, {"SORT", "fz:l", "ALPHA", "STORE", "fz:d"}, {"PING"},
            {"ECHO", "x"}, {"CLIENT", "SETNAME", "fz"}, {"CLIENT", "GETNAME"}, {"HELLO", "2"}, {"HELLO", "3"}, {"SELECT", "0"},
            {"MULTI"}, {"SUBSCRIBE", "fz"}, {"BLPOP", "fz:l", "1"}, {"EXPIRE", "fz:a", "100"}, {"DEL", "fz:a", "fz:b"},
            {"OBJECT", "ENCODING", "fz:a"}, {"NOPE"}, {"QUIT"}};

    private static byte[] redisStream(SplittableRandom r) {
        List<byte[]> parts = new ArrayList<>();
        int n = 1 + r.nextInt(12);
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(20);
            String[] words = REDIS_SEEDS[r.nextInt(REDIS_SEEDS.length)];
            if (pick < 12) {
                StringBuilder s = new StringBuilder("*" + words.length + "\r\n");
                for (String w : words) {
                    s.append('$').append(w.length()).append("\r\n").append(w).append("\r\n");
                }
                parts.add(ascii(s.toString()));
            } else if (pick < 15) {
                parts.add(ascii(String.join(r.nextBoolean() ? " " : "  ", words) + (r.nextBoolean() ? "\r\n" : "\n")));
            } else if (pick < 16) {
                parts.add(ascii("*1\r\n".repeat(1 + r.nextInt(1200)) + "$4\r\nPING\r\n"));
            } else if (pick < 18) {
                String[] huge = {"$2147483647", "$1048577", "$-5", "*2147483648", "*-3", "$99999999999999999999", "*1048576"};
                parts.add(ascii("*3\r\n$3\r\nSET\r\n$4\r\nfz:h\r\n" + huge[r.nextInt(huge.length)] + "\r\n" + "z".repeat(r.nextInt(100))));
            } else {
                parts.add(randomBytes(r, 100));
            }
        }
        byte[] stream = concat(parts);
        return defuse(r.nextInt(10) < 7 ? mutate(r, stream) : stream);
    }

    private static final String[] MEMCACHED_SEEDS = {"set fz:a 0 0 5\r\nhello\r\n", "add fz:b 1 100 3 noreply\r\nabc\r\n",
            "get fz:a fz:b fz:c\r\n", "gets fz:a\r\n", "gat 100 fz:a\r\n", "incr fz:n 1\r\n", "decr fz:n 5 noreply\r\n",
            "delete fz:a\r\n", "delete fz:b 0 noreply\r\n", "touch fz:a 10\r\n", "append fz:a 0 0 1\r\n!\r\n",
            "cas fz:a 0 0 1 12345\r\nx\r\n", "mg fz:a v t f\r\n", "mg fz:zz v q\r\n", "ms fz:c 3 T0 q\r\nabc\r\n",
            "ms fz:c 2 MA C99\r\nxy\r\n", "md fz:c q\r\n", "ma fz:n N0 J13 v\r\n", "me fz:a\r\n", "mn\r\n", "version\r\n",
            "stats\r\n", "verbosity 1\r\n", "set fz:big 0 0 4294967295\r\nabc", "set fz:big 0 0 2000000\r\n", "get\r\n",
            "GET fz:a\r\n", "set fz:a 0 0 -1\r\n", "quit\r\n",
            // shapes that once cost a reply or added one (see MemcachedDesyncFuzzTest)
            "mg fz:zz v q0\r\n", "md fz:zz q-1\r\n", "mg fz:zz v q q\r\n", "ms fz:c 2 q\r\r\nxy\r\n", "ms fz:c 2 qq z\r\nxy\r\n",
            "ms fz:c 5 k s t c f v h u l O1 P L I T1 N1 R1 F1\r\nget a\r\n", "ms " + "YWJj".repeat(63) + " 5 b\r\nget a\r\n",
            "set fz:a 0 0 1 noreply\u0000\r\nx\r\n", "incr fz:n 1 noreply\u0000\r\n", "mg fz:a v k" + "x".repeat(2100) + "\r\n"};

    private static byte[] memcachedStream(SplittableRandom r) {
        List<byte[]> parts = new ArrayList<>();
        int n = 1 + r.nextInt(12);
        boolean binary = r.nextInt(3) == 0;
        for (int i = 0; i < n; i++) {
            if (binary) {
                parts.add(binaryPacket(r));
            } else if (r.nextInt(10) == 0) {
                parts.add(randomBytes(r, 100));
            } else {
                parts.add(ascii(MEMCACHED_SEEDS[r.nextInt(MEMCACHED_SEEDS.length)]));
            }
        }
        byte[] stream = concat(parts);
        byte[] fuzzed = r.nextInt(10) < 7 ? mutate(r, stream) : stream;
        if (binary && fuzzed.length > 0) {
            fuzzed[0] = (byte) 0x80;
        }
        return defuse(fuzzed);
    }

    /** GET, SET, GETQ, SETQ, DELETE, INCREMENT, NOOP, VERSION, STAT, GAT and one undefined opcode; lengths sometimes wrong. */
    private static byte[] binaryPacket(SplittableRandom r) {
        int[] opcodes = {0x00, 0x01, 0x09, 0x11, 0x04, 0x05, 0x0a, 0x0b, 0x10, 0x1d, 0x0c, 0x0d, 0x42};
        int opcode = opcodes[r.nextInt(opcodes.length)];
        int extras = opcode == 0x01 || opcode == 0x11 ? 8 : opcode == 0x05 ? 20 : opcode == 0x1d ? 4 : 0;
        byte[] key = ascii(opcode == 0x0a || opcode == 0x0b ? "" : "fz:" + r.nextInt(10));
        int value = opcode == 0x01 || opcode == 0x11 ? r.nextInt(100) : 0;
        long body = extras + key.length + value;
        if (r.nextInt(10) == 0) {
            body = new long[] {0xffffffffL, 2_000_000, body + 7, Math.max(0, body - 3)}[r.nextInt(4)];
        }
        int sent = (int) Math.min(body, extras + key.length + value);
        ByteBuffer out = ByteBuffer.allocate(24 + sent);
        out.put((byte) 0x80).put((byte) opcode).putShort((short) key.length).put((byte) extras).put((byte) 0).putShort((short) 0)
                .putInt((int) body).putInt(r.nextInt(1000)).putLong(0);
        byte[] rest = new byte[sent];
        Arrays.fill(rest, (byte) 'q');
        System.arraycopy(key, 0, rest, Math.min(extras, sent), Math.max(0, Math.min(key.length, sent - extras)));
        out.put(rest);
        return out.array();
    }

    /** Words that would wipe or swap what the good clients check; a letter is changed wherever they appear. */
    private static final String[] DANGEROUS = {"flushall", "flushdb", "flush_all", "swapdb", "function", "script", "eval",
            "shutdown", "debug", "config", "good:"};

    /** Makes {@code bytes} unable to flush or touch the good clients' data (changed in place, returned). */
    static byte[] defuse(byte[] bytes) {
        String lower = new String(bytes, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        for (String word : DANGEROUS) {
            for (int at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) {
                bytes[at + 1] = '#';
            }
        }
        // binary Flush / FlushQ: no opcode byte 0x08 or 0x18 may follow a request magic anywhere
        for (int i = 0; i + 1 < bytes.length; i++) {
            if ((bytes[i] & 0xff) == 0x80 && (bytes[i + 1] == 0x08 || bytes[i + 1] == 0x18)) {
                bytes[i + 1] = 0x0a; // Noop
            }
        }
        return bytes;
    }

    private static final String INSERTS = "\r\n $*:-0129\u0080";

    private static byte[] mutate(SplittableRandom r, byte[] in) {
        byte[] out = in;
        int rounds = 1 + r.nextInt(4);
        for (int k = 0; k < rounds && out.length > 0; k++) {
            int at = r.nextInt(out.length);
            switch (r.nextInt(6)) {
                case 0 -> out[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> out = splice(out, at, at, new byte[] {(byte) INSERTS.charAt(r.nextInt(INSERTS.length()))});
                case 2 -> out = splice(out, at, Math.min(out.length, at + 1 + r.nextInt(8)), new byte[0]);
                case 3 -> {
                    int len = 1 + r.nextInt(Math.min(out.length - at, 64));
                    int to = r.nextInt(out.length + 1);
                    out = splice(out, to, to, Arrays.copyOfRange(out, at, at + len));
                }
                case 4 -> out = Arrays.copyOf(out, at);
                default -> out = splice(out, at, at, ascii(new String[] {"2147483647", "-1", "99999999999999999999", "0"}[r.nextInt(4)]));
            }
        }
        return out;
    }

    private static byte[] randomBytes(SplittableRandom r, int max) {
        byte[] b = new byte[r.nextInt(max + 1)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }
}
