package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.UnblockType;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CLIENT UNBLOCK through the daemon, about the proxy's own clients (on either I/O thread): a
 * client blocked in a blocking command (on a backend connection of its own) gets the command's
 * timeout reply or the UNBLOCKED error, byte for byte as a redis-server's blocked client does, and
 * since nothing was popped, nothing reaches the other clusters; every cluster holds the same data.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisClientUnblockIT extends TwoLoopsAndAReference {
    /** Each blocking command, unblocked both ways, on the daemon and on a redis-server: the same replies. */
    @Test
    void theBlockedClientGetsWhatRedisGivesIt() throws Exception {
        List<String[]> blocking = List.of(new String[]{"BLPOP", "q", "0"}, new String[]{"BRPOP", "q", "r", "0"},
                new String[]{"BLMOVE", "q", "d", "LEFT", "RIGHT", "0"}, new String[]{"BRPOPLPUSH", "q", "d", "0"},
                new String[]{"BLMPOP", "0", "1", "q", "LEFT"}, new String[]{"BZPOPMIN", "z", "0"},
                new String[]{"BZMPOP", "0", "1", "z", "MAX"}, new String[]{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
        for (String[] command : blocking) {
            for (String reason : new String[]{"TIMEOUT", "ERROR"}) {
                String what = String.join(" ", command) + " unblocked with " + reason;
                String[] theirs = unblocked(reference.port(), command, reason, false);
                String[] ours = unblocked(port, command, reason, true);
                assertThat(ours[0]).as("CLIENT UNBLOCK's reply: " + what).isEqualTo(theirs[0]).isEqualTo(":1\r\n");
                assertThat(ours[1]).as("the blocked client's reply: " + what).isEqualTo(theirs[1]);
                assertThat(ours[2]).as("its connection goes on: " + what).isEqualTo("+PONG\r\n");
            }
        }
        try (Jedis jedis = proxy()) {
            jedis.rpush("q", "x");
            jedis.zadd("z", 1, "m");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.lrange("q", 0, -1)).as("nothing was popped anywhere").containsExactly("x");
                assertThat(direct.zcard("z")).isEqualTo(1);
                assertThat(direct.exists("d")).isFalse();
            }
        }
    }

    /** A client that is not blocked, or not there, is not unblocked: {@code :0}, as Redis answers. */
    @Test
    void clientsThatAreNotBlockedAreNotUnblocked() throws Exception {
        try (Jedis control = proxy(); Jedis idle = proxy(); Wire subscribed = new Wire(port); Wire watching = new Wire(port)) {
            assertThat(control.clientUnblock(idle.clientId())).isZero();
            assertThat(control.clientUnblock(control.clientId(), UnblockType.ERROR)).as("itself").isZero();
            assertThat(control.clientUnblock(999_999)).isZero();
            long subscriber = Long.parseLong(subscribed.call("CLIENT", "ID").substring(1).strip());
            assertThat(subscribed.call("SUBSCRIBE", "ch")).startsWith("*3\r\n$9\r\nsubscribe\r\n");
            assertThat(control.clientUnblock(subscriber)).as("subscribed, not blocked").isZero();
            long watcher = Long.parseLong(watching.call("CLIENT", "ID").substring(1).strip());
            assertThat(watching.call("WATCH", "w")).isEqualTo("+OK\r\n");
            assertThat(control.clientUnblock(watcher)).as("on a connection of its own, not blocked").isZero();
            assertThat(watching.call("UNWATCH")).isEqualTo("+OK\r\n");
            assertThat(idle.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void errorsAreRedisOwn() {
        List<String[]> requests = List.of(new String[]{"CLIENT", "UNBLOCK"}, new String[]{"CLIENT", "UNBLOCK", "abc"},
                new String[]{"CLIENT", "UNBLOCK", ""}, new String[]{"CLIENT", "UNBLOCK", "1", "foo"},
                new String[]{"CLIENT", "UNBLOCK", "abc", "foo"}, new String[]{"CLIENT", "UNBLOCK", "1", "timeout", "x"},
                new String[]{"CLIENT", "UNBLOCK", "-1"}, new String[]{"CLIENT", "UNBLOCK", "99999999999999999999"},
                new String[]{"CLIENT", "UNBLOCK", "424242", "error"}, new String[]{"CLIENT", "UNBLOCK", "424242", "Timeout"});
        try (Wire proxied = new Wire(port); Wire redis = new Wire(reference.port())) {
            for (String[] request : requests) {
                assertThat(proxied.call(request)).as(String.join(" ", request)).isEqualTo(redis.call(request));
            }
        }
    }

    /**
     * On the server at {@code port}: a client blocks in {@code command}, another unblocks it with
     * {@code reason}. Returns CLIENT UNBLOCK's reply, the blocked client's reply and its reply to a PING after.
     */
    private static String[] unblocked(int port, String[] command, String reason, boolean proxied) throws Exception {
        try (Wire blocked = new Wire(port); Wire control = new Wire(port)) {
            long id = Long.parseLong(blocked.call("CLIENT", "ID").substring(1).strip());
            blocked.send(command);
            awaitBlocked(proxied ? backends.dc1.port() : port);
            String unblock = control.call("CLIENT", "UNBLOCK", Long.toString(id), reason);
            String reply = blocked.readFor(500);
            String ping = blocked.call("PING");
            return new String[]{unblock, reply, ping};
        }
    }

    /** Waits until the server at {@code port} shows a blocked client. */
    private static void awaitBlocked(int port) throws InterruptedException {
        try (Jedis server = new Jedis("127.0.0.1", port, 10_000)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!server.info("clients").contains("blocked_clients:1") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(server.info("clients")).contains("blocked_clients:1");
        }
    }
}
