package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static io.metacluster.e2e.RedisProxyIT.resp;
import static org.assertj.core.api.Assertions.assertThat;

/** Redis pub/sub through the daemon and three clusters: each subscriber hears a message once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PubSubIT extends ThreeRedisClusters {
    /** Subscribes {@code subscriber} on a thread of its own; returns once the subscription is confirmed. */
    private static Thread subscribe(Jedis subscriber, JedisPubSub listener, CountDownLatch subscribed, String... channels)
            throws InterruptedException {
        Thread thread = new Thread(() -> subscriber.subscribe(listener, channels), "subscriber");
        thread.start();
        assertThat(subscribed.await(10, TimeUnit.SECONDS)).as("subscribed").isTrue();
        return thread;
    }

    @Test
    void aSubscriberHearsEachMessageOnceAndItsConnectionWorksAfterwards() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        CountDownLatch subscribed = new CountDownLatch(1);
        CountDownLatch allHeard = new CountDownLatch(5);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onSubscribe(String channel, int count) {
                subscribed.countDown();
            }

            @Override
            public void onMessage(String channel, String message) {
                heard.add(channel + ":" + message);
                allHeard.countDown();
            }
        };
        try (Jedis subscriber = proxy(); Jedis publisher = proxy()) {
            Thread thread = subscribe(subscriber, listener, subscribed, "news");
            for (int i = 0; i < 5; i++) {
                assertThat(publisher.publish("news", "m" + i)).as("one receiver, counted on the read cluster").isEqualTo(1);
            }
            assertThat(allHeard.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200); // copies from the other clusters would arrive by now
            assertThat(heard).containsExactly("news:m0", "news:m1", "news:m2", "news:m3", "news:m4");

            listener.unsubscribe();
            thread.join(10_000);
            assertThat(thread.isAlive()).isFalse();
            // no subscription left: the connection routes as usual again, writes reach every cluster
            assertThat(subscriber.set("after-pubsub", "x")).isEqualTo("OK");
            assertThat(subscriber.get("after-pubsub")).isEqualTo("x");
        }
        try (Jedis direct = direct(backends.dc3)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (direct.get("after-pubsub") == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(direct.get("after-pubsub")).isEqualTo("x");
        }
    }

    @Test
    void patternsAndPingWhileSubscribed() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        CountDownLatch subscribed = new CountDownLatch(1);
        CountDownLatch events = new CountDownLatch(2);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onPSubscribe(String pattern, int count) {
                subscribed.countDown();
            }

            @Override
            public void onPMessage(String pattern, String channel, String message) {
                heard.add(pattern + " " + channel + " " + message);
                events.countDown();
            }

            @Override
            public void onPong(String pattern) {
                heard.add("pong");
                events.countDown();
            }
        };
        try (Jedis subscriber = proxy(); Jedis publisher = proxy()) {
            Thread thread = new Thread(() -> subscriber.psubscribe(listener, "user.*"), "psubscriber");
            thread.start();
            assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
            publisher.publish("user.7", "hello");
            assertThat(heard).doesNotContain("pong");
            listener.ping();
            assertThat(events.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(heard).containsExactly("user.* user.7 hello", "pong");
            listener.punsubscribe();
            thread.join(10_000);
            assertThat(thread.isAlive()).isFalse();
        }
    }

    @Test
    void otherCommandsWhileSubscribedGetRedisErrorAndQuitCloses() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(resp("SUBSCRIBE", "c").getBytes(StandardCharsets.UTF_8));
            String confirm = "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n";
            assertThat(new String(in.readNBytes(confirm.length()), StandardCharsets.UTF_8)).isEqualTo(confirm);
            out.write(resp("GET", "k").getBytes(StandardCharsets.UTF_8));
            String refusal = "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET"
                    + " are allowed in this context\r\n";
            assertThat(new String(in.readNBytes(refusal.length()), StandardCharsets.UTF_8)).isEqualTo(refusal);
            out.write(resp("QUIT").getBytes(StandardCharsets.UTF_8));
            assertThat(new String(in.readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("+OK\r\n");
            assertThat(in.read()).as("closed after QUIT").isEqualTo(-1);
        }
    }

    @Test
    void unsubscribingFromSeveralChannelsNeverSubscribedGetsEveryReplyAndEndsTheMode() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(resp("UNSUBSCRIBE", "foo", "bar", "quux").getBytes(StandardCharsets.UTF_8));
            // as Redis answers: one message per channel, each counting 0 subscriptions (found by Redis's pubsub.tcl)
            String expected = "*3\r\n$11\r\nunsubscribe\r\n$3\r\nfoo\r\n:0\r\n"
                    + "*3\r\n$11\r\nunsubscribe\r\n$3\r\nbar\r\n:0\r\n"
                    + "*3\r\n$11\r\nunsubscribe\r\n$4\r\nquux\r\n:0\r\n";
            assertThat(new String(socket.getInputStream().readNBytes(expected.length()), StandardCharsets.UTF_8))
                    .isEqualTo(expected);
            socket.getOutputStream().write(resp("GET", "k").getBytes(StandardCharsets.UTF_8));
            assertThat(new String(socket.getInputStream().readNBytes(5), StandardCharsets.UTF_8))
                    .as("not subscribed: commands go as usual").isEqualTo("$-1\r\n");
        }
    }

    @Test
    void aFrozenServerFailsTheSubscribeInsteadOfHangingIt() throws Exception {
        backends.dc1.freeze();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(resp("SUBSCRIBE", "c").getBytes(StandardCharsets.UTF_8));
            String expected = "-ERR no cluster can serve SUBSCRIBE now: the backend connection could not be opened\r\n";
            String reply = new String(socket.getInputStream().readNBytes(expected.length()), StandardCharsets.UTF_8);
            assertThat(reply).as("after the 500 ms handshake timeout").isEqualTo(expected);
        } finally {
            backends.dc1.thaw();
        }
    }

    @Test
    void resetLeavesPinnedMode() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write((resp("SET", "r", "1") + resp("SUBSCRIBE", "c")).getBytes(StandardCharsets.UTF_8));
            String expected = "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n";
            assertThat(new String(in.readNBytes(expected.length()), StandardCharsets.UTF_8)).isEqualTo(expected);
            out.write(resp("RESET").getBytes(StandardCharsets.UTF_8));
            assertThat(new String(in.readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("+RESET\r\n");
            out.write(resp("GET", "r").getBytes(StandardCharsets.UTF_8));
            assertThat(new String(in.readNBytes(7), StandardCharsets.UTF_8)).isEqualTo("$1\r\n1\r\n");
        }
    }

    @Test
    void subscribingAgainBeforeTheUnsubscribeReplyKeepsTheSubscription() throws Exception {
        // redis-py's test_sub_unsub_resub_channels: three commands written before any reply is read
        try (Socket socket = new Socket("127.0.0.1", port); Jedis publisher = new Jedis("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((resp("SUBSCRIBE", "foo") + resp("UNSUBSCRIBE", "foo") + resp("SUBSCRIBE", "foo"))
                    .getBytes(StandardCharsets.UTF_8));
            String expected = "*3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n"
                    + "*3\r\n$11\r\nunsubscribe\r\n$3\r\nfoo\r\n:0\r\n"
                    + "*3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n";
            assertThat(new String(socket.getInputStream().readNBytes(expected.length()), StandardCharsets.UTF_8))
                    .isEqualTo(expected);
            assertThat(publisher.publish("foo", "hi")).as("still subscribed on the read cluster").isEqualTo(1);
            String message = "*3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$2\r\nhi\r\n";
            assertThat(new String(socket.getInputStream().readNBytes(message.length()), StandardCharsets.UTF_8))
                    .isEqualTo(message);
        }
    }
}
