package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.RedisBackends.direct;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Server control through the daemon: one listener with {@code server-commands: all-clusters}
 * (CONFIG SET, ACL SETUSER, SLOWLOG RESET ... reach every node of every cluster, answered when all
 * replies agree, else with an error naming the clusters that differ), one with the default
 * ({@code refuse}: an error that names the option); CONFIG GET and MODULE LIST from one cluster.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisServerCommandsIT {
    @AutoClose
    static RedisBackends backends;
    static int everywhere;
    static int refusing;

    @BeforeAll
    static void start() throws Exception {
        everywhere = FreePorts.find();
        refusing = FreePorts.find();
        backends = RedisBackends.start("""
                replay: { dir: "" }
                listeners:
                  - name: ops
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                    write: { policy: all }
                    protocol-options: { server-commands: all-clusters }
                  - name: app
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1, dc2, dc3]
                """.formatted(everywhere, refusing));
    }

    @Test
    void serverCommandsReachEveryClusterWhenTheListenerAllowsIt() throws Exception {
        backends.healthyAndEmpty();
        try (Jedis ops = new Jedis("127.0.0.1", everywhere, 10_000)) {
            assertThat(ops.configSet("maxmemory-policy", "allkeys-lru")).isEqualTo("OK");
            assertThat(ops.configGet("maxmemory-policy")).isEqualTo(Map.of("maxmemory-policy", "allkeys-lru"));
            assertThat(ops.aclSetUser("reporter", "on", ">secret", "~report:*", "+get")).isEqualTo("OK");
            assertThat(ops.slowlogReset()).isEqualTo("OK");
            assertThat(ops.configResetStat()).isEqualTo("OK");
            assertThat(ops.sendCommand(redis.clients.jedis.Protocol.Command.LATENCY, "RESET")).isEqualTo(0L);
            assertThat(ops.memoryPurge()).isEqualTo("OK");
            assertThat(ops.aclLogReset()).isEqualTo("OK");
            assertThat(ops.moduleList()).isEmpty();
            ops.set("report:1", "x");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "allkeys-lru");
                assertThat(direct.aclUsers()).contains("reporter");
                assertThat(direct.slowlogLen()).isZero();
            }
            try (Jedis reporter = direct(server)) {
                reporter.auth("reporter", "secret");
                assertThat(reporter.get("report:1")).isEqualTo("x");
            }
        }
        try (Jedis ops = new Jedis("127.0.0.1", everywhere, 10_000)) {
            assertThat(ops.aclDelUser("reporter")).isEqualTo(1L);
            assertThat(ops.configSet("maxmemory-policy", "noeviction")).isEqualTo("OK");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.aclUsers()).doesNotContain("reporter");
                assertThat(direct.configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "noeviction");
            }
        }
    }

    @Test
    void whenTheClustersAnswerDifferentlyTheErrorNamesThem() throws Exception {
        backends.healthyAndEmpty();
        try (Jedis dc3 = direct(backends.dc3)) {
            dc3.aclSetUser("only-on-dc3", "off"); // behind the proxy's back: dc3 alone has the user
        }
        try (Jedis ops = new Jedis("127.0.0.1", everywhere, 10_000)) {
            assertThatThrownBy(() -> ops.aclDelUser("only-on-dc3")).hasMessage("ERR ACL DELUSER did not get the same reply"
                    + " from every cluster: dc3: :1; dc1, dc2: :0");
            assertThat(ops.aclDelUser("only-on-dc3")).as("the same reply everywhere now").isZero();
            assertThatThrownBy(() -> ops.configSet("no-such-option", "1")).as("the same error everywhere is the reply")
                    .hasMessageStartingWith("ERR Unknown option or number of arguments for CONFIG SET - 'no-such-option'");
            assertThat(ops.ping()).isEqualTo("PONG");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.aclUsers()).doesNotContain("only-on-dc3");
            }
        }
    }

    @Test
    void serverCommandsAreRefusedByDefaultAndNothingReachesAServer() throws Exception {
        backends.healthyAndEmpty();
        try (Jedis app = new Jedis("127.0.0.1", refusing, 10_000)) {
            assertThatThrownBy(() -> app.configSet("maxmemory-policy", "allkeys-lfu"))
                    .hasMessage("ERR CONFIG SET is refused by metacluster: a server command; protocol-options"
                            + " server-commands: all-clusters sends it to every node of every cluster, read-cluster to"
                            + " the read cluster");
            assertThatThrownBy(app::bgsave).hasMessageContaining("BGSAVE is refused by metacluster");
            assertThatThrownBy(app::aclLogReset).hasMessageContaining("ACL LOG is refused by metacluster");
            assertThat(app.aclLog()).isEmpty();
            assertThat(app.moduleList()).isEmpty();
            assertThat(app.configGet("maxmemory-policy")).containsKey("maxmemory-policy");
            assertThat(app.ping()).isEqualTo("PONG");
        }
        for (var server : backends.all) {
            try (Jedis direct = direct(server)) {
                assertThat(direct.configGet("maxmemory-policy")).doesNotContainEntry("maxmemory-policy", "allkeys-lfu");
            }
        }
    }
}
