package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RespClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client-side caching ({@code CLIENT TRACKING}) through the daemon and three clusters: a RESP3
 * client's tracking runs on a backend connection of its own to the read cluster (dc1), so it is
 * told of every write to a key it read, whoever made it: another client of the proxy, or a writer
 * that reached dc1 without this proxy (another proxy). Replies are compared byte for byte with
 * redis-server 7.0's own, and the tracking connection must be gone from dc1 after OFF, RESET or
 * the client leaving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTrackingIT extends ThreeRedisClusters {
    /** A listener whose writes are answered once every cluster answered (write policy all). */
    static int allPort;

    /** Hides {@link ThreeRedisClusters#start}: two I/O threads, so writers and trackers are on different event loops. */
    @BeforeAll
    static void start() throws Exception {
        allPort = startWithSecondListener(2, "all", "write: { policy: all }");
    }

    private static String invalidate(String... keys) {
        StringBuilder push = new StringBuilder(">2\r\n$10\r\ninvalidate\r\n*").append(keys.length).append("\r\n");
        for (String key : keys) {
            push.append('$').append(key.length()).append("\r\n").append(key).append("\r\n");
        }
        return push.toString();
    }

    /** A RESP3 client of the proxy with tracking on (with {@code options}). */
    private static RespClient tracker(String... options) {
        RespClient client = RespClient.connect(port);
        client.call("HELLO", "3");
        List<Object> command = new ArrayList<>(List.of("CLIENT", "TRACKING", "ON"));
        command.addAll(Arrays.asList(options));
        assertThat(client.call(command.toArray())).isEqualTo("OK");
        return client;
    }

    @Test
    void anotherClientsWriteThroughTheProxyInvalidatesAKeyTheClientRead() {
        try (RespClient tracker = tracker(); Jedis writer = proxy()) {
            writer.set("k", "1");
            assertThat(tracker.call("GET", "k")).isEqualTo("1");
            writer.set("k", "2");
            assertThat(tracker.readRaw()).isEqualTo(invalidate("k"));
            assertThat(tracker.call("GET", "k")).as("read again, and tracked again").isEqualTo("2");
            writer.del("k");
            assertThat(tracker.readRaw()).isEqualTo(invalidate("k"));
        }
    }

    @Test
    void aWriteThatReachesTheReadClusterWithoutThisProxyInvalidatesToo() {
        try (RespClient tracker = tracker()) {
            assertThat(tracker.call("GET", "shared")).isNull();
            // as another proxy in front of the same clusters would write it: on every cluster, dc1 included
            for (var server : backends.all) {
                try (Jedis elsewhere = direct(server)) {
                    elsewhere.set("shared", "from-elsewhere");
                }
            }
            assertThat(tracker.readRaw()).isEqualTo(invalidate("shared"));
            assertThat(tracker.call("GET", "shared")).isEqualTo("from-elsewhere");
        }
    }

    @Test
    void aWriteThroughAnotherProxyInFrontOfTheSameClustersInvalidates() throws Exception {
        int otherPort = FreePorts.find();
        try (Daemon other = Daemon.start("""
                replay: { dir: "" }
                listeners:
                  - name: other
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                """.formatted(otherPort) + DatacenterYaml.clusters(backends.dc1, backends.dc2, backends.dc3))) {
            other.awaitHealthy();
            try (RespClient tracker = tracker(); Jedis writer = new Jedis("127.0.0.1", otherPort, 10_000)) {
                writer.set("k", "1");
                assertThat(tracker.call("GET", "k")).isEqualTo("1");
                writer.set("k", "2");
                assertThat(tracker.readRaw()).isEqualTo(invalidate("k"));
                assertThat(tracker.call("GET", "k")).isEqualTo("2");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void broadcastModeSendsEveryKeyUnderItsPrefixesAndNothingElse() {
        try (RespClient tracker = tracker("BCAST", "PREFIX", "user:", "PREFIX", "job:"); Jedis writer = proxy()) {
            writer.set("other", "x");
            writer.set("user:1", "x");
            writer.set("session", "x");
            writer.rpush("job:7", "x");
            assertThat(tracker.readRaw()).as("nothing for 'other' before it").isEqualTo(invalidate("user:1"));
            assertThat(tracker.readRaw()).as("nothing for 'session' before it").isEqualTo(invalidate("job:7"));
            var info = (java.util.Map<String, Object>) tracker.call("CLIENT", "TRACKINGINFO");
            assertThat(info.get("flags")).isEqualTo(List.of("on", "bcast"));
            assertThat(info.get("redirect")).as("tracking without redirection").isEqualTo(0L);
            assertThat((List<Object>) info.get("prefixes")).containsExactlyInAnyOrder("user:", "job:");
        }
    }

    @Test
    void optInTracksOnlyTheReadsAfterCachingYes() {
        try (RespClient tracker = tracker("OPTIN"); Jedis writer = proxy()) {
            assertThat(tracker.call("GET", "a")).isNull();
            assertThat(tracker.call("CLIENT", "CACHING", "yes")).isEqualTo("OK");
            assertThat(tracker.call("GET", "b")).isNull();
            writer.set("a", "1");
            writer.set("b", "1");
            assertThat(tracker.readRaw()).as("a was read without CACHING yes").isEqualTo(invalidate("b"));
        }
    }

    @Test
    void noLoopSparesTheClientItsOwnWritesWhichStillReachEveryCluster() {
        try (RespClient tracker = tracker("NOLOOP"); Jedis writer = proxy()) {
            assertThat(tracker.call("GET", "mine")).isNull();
            assertThat(tracker.call("GET", "theirs")).isNull();
            assertThat(tracker.call("SET", "mine", "1")).isEqualTo("OK");
            assertThat(tracker.call("GET", "mine")).as("the client reads its own write").isEqualTo("1");
            writer.set("theirs", "1");
            assertThat(tracker.readRaw()).as("no invalidation of its own write before").isEqualTo(invalidate("theirs"));
        }
        awaitOnEveryCluster("mine", "1");
    }

    @Test
    void withoutNoLoopTheClientsOwnWriteInvalidatesItsCacheAsInRedis() {
        try (RespClient tracker = tracker()) {
            assertThat(tracker.call("GET", "k")).isNull();
            tracker.send("SET", "k", "v");
            // Redis 7.0 sends the invalidation of the writer's own key right after the write's reply
            assertThat(tracker.readRaw()).isEqualTo("+OK\r\n");
            assertThat(tracker.readRaw()).isEqualTo(invalidate("k"));
        }
        awaitOnEveryCluster("k", "v");
    }

    @Test
    void anInvalidationWaitsBehindTheRepliesDueBeforeIt() throws Exception {
        // the script loops only where 'slow' exists (dc2, dc3): under write policy all its reply waits for them, while
        // dc1 answers the GET behind it at once and then invalidates: a push written ahead of the GET's reply would let
        // the client cache a value already changed
        for (var server : List.of(backends.dc2, backends.dc3)) {
            try (Jedis direct = direct(server)) {
                direct.set("slow", "1");
            }
        }
        String script = "if redis.call('EXISTS', 'slow') == 1 then local t = redis.call('TIME');"
                + " local start = t[1] * 1000000 + t[2]; repeat local n = redis.call('TIME')"
                + " until n[1] * 1000000 + n[2] - start > 700000 end return 'done'";
        try (RespClient tracker = RespClient.connect(allPort)) {
            tracker.call("HELLO", "3");
            assertThat(tracker.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
            tracker.send("EVAL", script, "0");
            tracker.send("GET", "k");
            try (Jedis dc1 = direct(backends.dc1)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!dc1.info("stats").contains("tracking_total_keys:1") && System.nanoTime() < deadline) {
                    Thread.sleep(5); // until dc1 ran the GET: a change before it would be read, not invalidated
                }
                dc1.set("k", "changed");
            }
            assertThat(tracker.readRaw()).isEqualTo("$4\r\ndone\r\n");
            assertThat(tracker.readRaw()).as("the GET read k before the change").isEqualTo("_\r\n");
            assertThat(tracker.readRaw()).isEqualTo(invalidate("k"));
        }
        for (var server : List.of(backends.dc2, backends.dc3)) {
            try (Jedis direct = direct(server)) {
                direct.del("slow");
                direct.set("k", "changed"); // as another proxy would have written it everywhere
            }
        }
    }

    @Test
    void trackingRepliesAreRedisOwnByteForByte() {
        String[][] script = {
                {"CLIENT", "TRACKINGINFO"}, {"CLIENT", "GETREDIR"}, {"CLIENT", "CACHING", "yes"},
                {"CLIENT", "TRACKING", "OFF"}, {"CLIENT", "TRACKING", "MAYBE"}, {"CLIENT", "TRACKING", "ON", "FOO"},
                {"CLIENT", "TRACKING", "ON", "PREFIX", "a"}, {"CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"},
                {"CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"},
                {"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"},
                {"CLIENT", "TRACKING", "ON", "OPTOUT"}, {"CLIENT", "TRACKINGINFO"}, {"CLIENT", "GETREDIR"},
                {"CLIENT", "CACHING", "yes"}, {"CLIENT", "CACHING", "no"}, {"CLIENT", "TRACKING", "ON", "BCAST"},
                {"CLIENT", "TRACKING", "ON", "OPTIN"}, {"GET", "k"}, {"CLIENT", "TRACKING", "OFF"},
                {"CLIENT", "TRACKINGINFO"}, {"CLIENT", "GETREDIR"},
        };
        for (String protocol : List.of("2", "3")) {
            try (RespClient server = backends.dc1.client(); RespClient proxied = RespClient.connect(port)) {
                server.call("HELLO", protocol);
                proxied.call("HELLO", protocol);
                assertThat(exchange(proxied, script)).as("RESP" + protocol).isEqualTo(exchange(server, script));
            }
        }
    }

    @Test
    void redirectIsRefusedWithWhatToUseInstead() {
        try (RespClient client = RespClient.connect(port)) {
            long id = (Long) client.call("CLIENT", "ID");
            client.send("CLIENT", "TRACKING", "ON", "REDIRECT", id);
            assertThat(client.readRaw()).isEqualTo("-ERR " + "CLIENT TRACKING REDIRECT is not supported by metacluster:"
                    + " use RESP3 (HELLO 3) and CLIENT TRACKING ON without REDIRECT (the invalidations then come as push"
                    + " messages on the same connection)\r\n");
            assertThat(client.call("CLIENT", "GETREDIR")).as("tracking stayed off").isEqualTo(-1L);
        }
        assertThat(trackingConnectionsOnDc1()).isZero();
    }

    @Test
    void theTrackingConnectionIsReleasedOnOffOnResetAndWhenTheClientLeaves() throws Exception {
        try (RespClient tracker = tracker()) {
            awaitTrackingConnections(1);
            assertThat(tracker.call("CLIENT", "TRACKING", "OFF")).isEqualTo("OK");
            awaitTrackingConnections(0);
            assertThat(tracker.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
            awaitTrackingConnections(1);
            assertThat(tracker.call("RESET")).isEqualTo("RESET");
            awaitTrackingConnections(0);
            assertThat(tracker.call("CLIENT", "TRACKINGINFO")).as("RESET left RESP2, tracking off")
                    .isEqualTo(List.of("flags", List.of("off"), "redirect", -1L, "prefixes", List.of()));
            tracker.call("HELLO", "3");
            assertThat(tracker.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
            awaitTrackingConnections(1);
        }
        awaitTrackingConnections(0);
    }

    @Test
    void whatCannotShareTheTrackingConnectionIsRefusedAndTransactionsStillRun() {
        try (RespClient tracker = tracker(); Jedis writer = proxy()) {
            assertThat(error(tracker, "SELECT", "1")).contains("while CLIENT TRACKING is on is not supported");
            assertThat(error(tracker, "HELLO", "2")).contains("while CLIENT TRACKING is on is not supported");
            assertThat(error(tracker, "SUBSCRIBE", "ch")).contains("while CLIENT TRACKING is on is not supported");
            assertThat(error(tracker, "WATCH", "k")).contains("while CLIENT TRACKING is on is not supported");
            assertThat(tracker.call("MULTI")).isEqualTo("OK");
            assertThat(tracker.call("SET", "t", "1")).isEqualTo("QUEUED");
            assertThat(tracker.call("EXEC")).isEqualTo(List.of("OK"));
            assertThat(tracker.call("GET", "t")).isEqualTo("1");
            writer.set("t", "2");
            assertThat(tracker.readRaw()).isEqualTo(invalidate("t"));
        }
        awaitOnEveryCluster("t", "2");
    }

    @Test
    void aPipelineThatTurnsTrackingOnAndOffKeepsItsOrder() {
        try (RespClient client = RespClient.connect(port)) {
            client.call("HELLO", "3");
            client.writeRaw((RedisProxyIT.resp("SET", "p", "1") + RedisProxyIT.resp("CLIENT", "TRACKING", "ON")
                    + RedisProxyIT.resp("GET", "p") + RedisProxyIT.resp("SET", "q", "2")
                    + RedisProxyIT.resp("CLIENT", "TRACKING", "OFF") + RedisProxyIT.resp("GET", "q")
                    + RedisProxyIT.resp("CLIENT", "GETREDIR")).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            List<String> replies = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                replies.add(client.readRaw());
            }
            assertThat(replies).containsExactly("+OK\r\n", "+OK\r\n", "$1\r\n1\r\n", "+OK\r\n", "+OK\r\n", "$1\r\n2\r\n",
                    ":-1\r\n");
        }
        awaitOnEveryCluster("q", "2");
    }

    @Test
    void everyRoundOfReadThenWriteGetsItsInvalidationThroughTheProxyAsDirectly() {
        int rounds = 500;
        long[] proxied;
        long[] direct;
        try (RespClient tracker = tracker(); Jedis writer = proxy()) {
            proxied = rounds(tracker, writer, rounds);
        }
        try (RespClient tracker = backends.dc1.client(); Jedis writer = direct(backends.dc1)) {
            tracker.call("HELLO", "3");
            tracker.call("CLIENT", "TRACKING", "ON");
            direct = rounds(tracker, writer, rounds);
        }
        System.out.printf("client tracking, %d rounds of GET then another client's SET: from the SET sent to the invalidation read,"
                + " through the proxy p50 %d us p99 %d us; directly p50 %d us p99 %d us%n", rounds,
                proxied[rounds / 2] / 1000, proxied[rounds * 99 / 100] / 1000, direct[rounds / 2] / 1000,
                direct[rounds * 99 / 100] / 1000);
        for (var server : List.of(backends.dc2, backends.dc3)) {
            try (Jedis copy = direct(server)) {
                copy.set("round", Integer.toString(rounds - 1)); // the direct rounds wrote dc1 only
            }
        }
    }

    /** Nanoseconds from each write sent to the reader's invalidation read, sorted. */
    private static long[] rounds(RespClient tracker, Jedis writer, int rounds) {
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            tracker.call("GET", "round");
            long writing = System.nanoTime();
            writer.set("round", Integer.toString(i));
            assertThat(tracker.readRaw()).as("round %d", i).isEqualTo(invalidate("round"));
            nanos[i] = System.nanoTime() - writing;
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private static String error(RespClient client, Object... command) {
        client.send(command);
        String reply = client.readRaw();
        assertThat(reply).startsWith("-");
        return reply;
    }

    private static List<String> exchange(RespClient client, String[][] script) {
        List<String> replies = new ArrayList<>();
        for (String[] command : script) {
            client.send((Object[]) command);
            replies.add(client.readRaw());
        }
        return replies;
    }

    /** Connections of dc1 in tracking mode ({@code t} among CLIENT LIST's flags). */
    private static long trackingConnectionsOnDc1() {
        try (Jedis direct = direct(backends.dc1)) {
            return direct.clientList().lines().filter(line -> line.matches(".* flags=\\S*t\\S* .*")).count();
        }
    }

    private static void awaitTrackingConnections(long expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (trackingConnectionsOnDc1() != expected && System.nanoTime() < deadline) {
            sleep();
        }
        assertThat(trackingConnectionsOnDc1()).as("tracking connections on dc1").isEqualTo(expected);
    }

    /** A write the read cluster answered reaches the others right after (a propagation, as a WATCH's writes). */
    private static void awaitOnEveryCluster(String key, String value) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                while (!value.equals(direct.get(key)) && System.nanoTime() < deadline) {
                    sleep();
                }
                assertThat(direct.get(key)).isEqualTo(value);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
