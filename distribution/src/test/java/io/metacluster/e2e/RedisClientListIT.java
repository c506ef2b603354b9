package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ClientKillParams;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CLIENT ID/SETNAME/GETNAME/INFO/LIST/KILL/NO-EVICT through the daemon describe and act on the
 * proxy's own client connections, across its two I/O threads, with Redis 7.0's fields, replies and
 * errors (compared with a redis-server's own); the three clusters hold identical data throughout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisClientListIT extends ThreeRedisClusters {
    /** Hides {@link ThreeRedisClusters#start}: with two I/O threads, clients land on different event loops. */
    static int guardedPort;

    @BeforeAll
    static void start() throws Exception {
        guardedPort = FreePorts.find();
        startWith(2, """
                  - name: guarded
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    auth:
                      password: client-secret
                      users: [{ name: app, password: app-secret }]
                """.formatted(guardedPort));
    }

    @Test
    void namesAndIdsArePerConnection() {
        try (Jedis a = proxy(); Jedis b = proxy()) {
            assertThat(a.clientGetname()).isNull();
            assertThat(a.clientSetname("alpha")).isEqualTo("OK");
            assertThat(b.clientSetname("beta")).isEqualTo("OK");
            assertThat(a.clientGetname()).isEqualTo("alpha");
            assertThat(b.clientGetname()).isEqualTo("beta");
            long id = a.clientId();
            a.set("k", "v");
            assertThat(a.clientId()).as("stable").isEqualTo(id);
            assertThat(b.clientId()).as("distinct").isNotEqualTo(id);
            assertThatThrownBy(() -> a.clientSetname("with space")).isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR Client names cannot contain spaces, newlines or special characters.");
        }
    }

    @Test
    void listShowsEveryClientOfTheListenerInfoShowsItsOwn() {
        try (Jedis a = proxy(); Jedis b = proxy()) {
            a.clientSetname("alpha");
            b.clientSetname("beta");
            long idA = a.clientId();
            long idB = b.clientId();
            b.select(3);
            b.get("x");
            Map<String, String> ownInfo = fields(a.clientInfo().strip());
            assertThat(ownInfo).containsEntry("id", Long.toString(idA)).containsEntry("name", "alpha")
                    .containsEntry("laddr", "127.0.0.1:" + port).containsEntry("cmd", "client|info")
                    .containsEntry("db", "0").containsEntry("resp", "2").containsEntry("flags", "N");
            Map<Long, Map<String, String>> listed = new LinkedHashMap<>();
            for (String line : a.clientList().split("\n")) {
                Map<String, String> f = fields(line);
                listed.put(Long.parseLong(f.get("id")), f);
            }
            assertThat(listed).containsKeys(idA, idB);
            assertThat(new ArrayList<>(listed.keySet())).as("oldest first").isSorted();
            assertThat(listed.get(idA)).containsEntry("name", "alpha").containsEntry("cmd", "client|list")
                    .containsEntry("addr", ownInfo.get("addr"));
            assertThat(listed.get(idB)).containsEntry("name", "beta").containsEntry("db", "3")
                    .containsEntry("cmd", "get").containsEntry("laddr", "127.0.0.1:" + port);
            assertThat(fields(b.clientInfo().strip()).get("addr")).isEqualTo(listed.get(idB).get("addr"));
            String byId = (String) sendText(a, "LIST", "ID", Long.toString(idB), "999999");
            assertThat(byId.split("\n")).hasSize(1);
            assertThat(fields(byId.strip())).containsEntry("name", "beta");
            assertThat((String) sendText(a, "LIST", "TYPE", "pubsub")).isEmpty();
            a.sendCommand(Protocol.Command.MULTI);
            a.sendCommand(Protocol.Command.SET, "queued", "1");
            a.sendCommand(Protocol.Command.SET, "queued", "2");
            assertThat(fields(line(b.clientList(), idA))).as("another client sees the transaction")
                    .containsEntry("multi", "2").containsEntry("flags", "x").containsEntry("cmd", "set");
            a.sendCommand(Protocol.Command.DISCARD);
            assertThat(fields(line(b.clientList(), idA))).containsEntry("multi", "-1").containsEntry("flags", "N");
        }
    }

    @Test
    void fieldsAreRedisOwnInItsOrder() {
        try (Jedis proxied = proxy(); Jedis redis = direct(backends.all.get(0))) {
            String ours = proxied.clientInfo().strip();
            String theirs = redis.clientInfo().strip();
            assertThat(new ArrayList<>(fields(ours).keySet())).isEqualTo(new ArrayList<>(fields(theirs).keySet()));
            assertThat(new ArrayList<>(fields(line(proxied.clientList(), proxied.clientId())).keySet()))
                    .isEqualTo(new ArrayList<>(fields(line(redis.clientList(), redis.clientId())).keySet()));
        }
    }

    @Test
    void aKilledClientIsNotListedByTheNextCommand() throws Exception {
        // as Redis frees it at once (redis-py's test_client_kill_filter_by_id lists right after the kill)
        try (Jedis a = proxy()) {
            for (int i = 0; i < 20; i++) {
                try (Jedis b = proxy(); Socket socket = new Socket("127.0.0.1", port)) {
                    long idB = b.clientId();
                    socket.setSoTimeout(5000);
                    socket.getOutputStream().write((RedisProxyIT.resp("CLIENT", "KILL", "ID", Long.toString(idB))
                            + RedisProxyIT.resp("CLIENT", "KILL", "ID", Long.toString(idB))).getBytes(StandardCharsets.UTF_8));
                    assertThat(new String(socket.getInputStream().readNBytes(8), StandardCharsets.UTF_8))
                            .as("killed, then gone, in one pipeline").isEqualTo(":1\r\n:0\r\n");
                    assertThat(line(a.clientList(), idB)).isNull();
                }
            }
        }
    }

    @Test
    void killIdClosesTheOtherClient() {
        try (Jedis a = proxy(); Jedis b = proxy(); Jedis c = proxy()) {
            long idB = b.clientId();
            assertThat(a.clientKill(ClientKillParams.clientKillParams().id(Long.toString(idB)))).isEqualTo(1);
            assertThatThrownBy(b::ping).isInstanceOf(JedisConnectionException.class);
            assertThat(a.clientKill(ClientKillParams.clientKillParams().id(Long.toString(idB)))).as("gone").isEqualTo(0);
            assertThat(line(a.clientList(), idB)).isNull();
            String addrC = fields(c.clientInfo().strip()).get("addr");
            assertThat(a.clientKill(addrC)).as("the old form").isEqualTo("OK");
            assertThatThrownBy(c::ping).isInstanceOf(JedisConnectionException.class);
            assertThat(a.ping()).isEqualTo("PONG");
            a.set("after", "1");
        }
    }

    @Test
    void skipMeSparesTheCallerUnlessNo() {
        try (Jedis a = proxy(); Jedis b = proxy()) {
            String addrA = fields(a.clientInfo().strip()).get("addr");
            assertThat(a.clientKill(ClientKillParams.clientKillParams().addr(addrA))).as("SKIPME yes by default").isEqualTo(0);
            assertThat(a.clientKill(ClientKillParams.clientKillParams().laddr("127.0.0.1:" + port)
                    .skipMe(ClientKillParams.SkipMe.YES))).as("every other client of the listener").isGreaterThanOrEqualTo(1);
            assertThatThrownBy(b::ping).isInstanceOf(JedisConnectionException.class);
            assertThat(a.ping()).isEqualTo("PONG");
            assertThat(a.clientKill(ClientKillParams.clientKillParams().addr(addrA).skipMe(ClientKillParams.SkipMe.NO)))
                    .as("answered, then closed").isEqualTo(1);
            assertThatThrownBy(a::ping).isInstanceOf(JedisConnectionException.class);
        }
        try (Jedis d = proxy()) {
            assertThat(d.clientKill(ClientKillParams.clientKillParams().user("default"))).as("only itself, skipped").isEqualTo(0);
            assertThat(d.ping()).isEqualTo("PONG");
        }
    }

    /** Each listener lists its own clients; USER is the user a client logged in as at the proxy. */
    @Test
    void usersAndListenersAreTheProxys() {
        try (Jedis app = new Jedis("127.0.0.1", guardedPort, 10_000); Jedis other = new Jedis("127.0.0.1", guardedPort, 10_000);
             Jedis elsewhere = proxy()) {
            assertThat(app.auth("app", "app-secret")).isEqualTo("OK");
            assertThat(other.auth("client-secret")).isEqualTo("OK");
            long idApp = app.clientId();
            long idOther = other.clientId();
            String list = other.clientList();
            assertThat(list.split("\n")).as("the guarded listener's clients only").hasSize(2);
            assertThat(line(list, elsewhere.clientId())).isNull();
            assertThat(fields(line(list, idApp))).containsEntry("user", "app").containsEntry("laddr", "127.0.0.1:" + guardedPort);
            assertThat(fields(line(list, idOther))).containsEntry("user", "default");
            assertThatThrownBy(() -> other.clientKill(ClientKillParams.clientKillParams().user("nosuch")))
                    .isInstanceOf(JedisDataException.class).hasMessage("ERR No such user 'nosuch'");
            assertThat(app.clientKill(ClientKillParams.clientKillParams().user("app"))).as("itself, skipped").isEqualTo(0);
            assertThat(other.clientKill(ClientKillParams.clientKillParams().user("app"))).isEqualTo(1);
            assertThatThrownBy(app::ping).isInstanceOf(JedisConnectionException.class);
            assertThat(elsewhere.ping()).isEqualTo("PONG");
        }
    }

    /** A subscribed client shows its subscriptions and flag P, and is of type pubsub, as on a redis-server. */
    @Test
    void subscribedClientsShowTheirSubscriptions() {
        try (Jedis control = proxy(); Jedis redis = direct(backends.all.get(0)); Wire ours = new Wire(port);
             Wire theirs = new Wire(backends.all.get(0).port())) {
            for (Wire w : List.of(ours, theirs)) {
                assertThat(w.call("CLIENT", "SETNAME", "listener")).isEqualTo("+OK\r\n");
                w.send("SUBSCRIBE", "a", "b");
                w.send("PSUBSCRIBE", "p*");
                w.send("SSUBSCRIBE", "s");
                w.send("UNSUBSCRIBE", "a");
                assertThat(w.awaitBytes(30 + 30 + 33 + 32 + 33, 5_000)).endsWith("$1\r\na\r\n:2\r\n");
            }
            Map<String, String> mine = fields(named(control.clientList(), "listener"));
            Map<String, String> redisOwn = fields(named(redis.clientList(), "listener"));
            for (String field : List.of("flags", "sub", "psub", "ssub")) {
                assertThat(mine.get(field)).as(field).isEqualTo(redisOwn.get(field));
            }
            assertThat(mine).containsEntry("sub", "1").containsEntry("psub", "1").containsEntry("ssub", "1")
                    .containsEntry("flags", "P");
            assertThat(named((String) sendText(control, "LIST", "TYPE", "pubsub"), "listener")).isNotNull();
            assertThat(named((String) sendText(control, "LIST", "TYPE", "normal"), "listener")).isNull();
            ours.send("RESET");
            assertThat(ours.awaitBytes(8, 5_000)).isEqualTo("+RESET\r\n");
            assertThat(fields(line(control.clientList(), Long.parseLong(mine.get("id"))))).containsEntry("sub", "0")
                    .containsEntry("psub", "0").containsEntry("ssub", "0").containsEntry("flags", "N");
        }
    }

    /** The line of the client named {@code name} in a CLIENT LIST, or {@code null}. */
    private static String named(String list, String name) {
        return Arrays.stream(list.split("\n")).filter(l -> l.contains(" name=" + name + " ")).findFirst().orElse(null);
    }

    /** Replies and errors a client can tell apart, sent to the daemon and to a redis-server alike. */
    @Test
    void repliesAndErrorsAreRedisOwn() {
        List<String[]> requests = List.of(
                new String[] {"KILL", "1.2.3.4:5"}, new String[] {"KILL", "ID", "abc"}, new String[] {"KILL", "ID", "0"},
                new String[] {"KILL", "ID", "999999"}, new String[] {"KILL", "ADDR", "1.2.3.4:5"},
                new String[] {"KILL", "ID", "1", "SKIPME"}, new String[] {"KILL", "ID", "1", "SKIPME", "maybe"},
                new String[] {"KILL", "TYPE", "foo"}, new String[] {"KILL", "TYPE", "master"},
                new String[] {"KILL", "MAXAGE", "5"}, new String[] {"KILL", "USER", "nosuch"}, new String[] {"KILL", "foo", "bar"},
                new String[] {"LIST", "ID", "x"}, new String[] {"LIST", "TYPE", "foo"}, new String[] {"LIST", "foo"},
                new String[] {"LIST", "ID", "999999"}, new String[] {"NO-EVICT", "on"}, new String[] {"NO-EVICT", "off"},
                new String[] {"NO-EVICT", "maybe"});
        try (Jedis proxied = proxy(); Jedis redis = direct(backends.all.get(0))) {
            for (String[] request : requests) {
                assertThat(outcome(proxied, request)).as(String.join(" ", request)).isEqualTo(outcome(redis, request));
            }
        }
    }

    private static Object sendText(Jedis jedis, String... args) {
        Object reply = jedis.sendCommand(Protocol.Command.CLIENT, args);
        return reply instanceof byte[] bytes ? new String(bytes) : reply;
    }

    private static String outcome(Jedis jedis, String[] request) {
        try {
            Object reply = sendText(jedis, request);
            return "reply " + reply;
        } catch (JedisDataException e) {
            return "error " + e.getMessage();
        }
    }

    /** The line of client {@code id} in a CLIENT LIST, or {@code null}. */
    private static String line(String list, long id) {
        return Arrays.stream(list.split("\n")).filter(l -> l.startsWith("id=" + id + " ")).findFirst().orElse(null);
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : line.split(" ")) {
            int eq = field.indexOf('=');
            fields.put(field.substring(0, eq), field.substring(eq + 1));
        }
        return fields;
    }
}
