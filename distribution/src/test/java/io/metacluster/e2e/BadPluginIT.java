package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.PluginJar;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Plugin jars built at test time whose extensions fail, beside the shipped plugins, under
 * bin/metacluster of the install tree: each is refused by {@code --check} and at start alike,
 * with exit code 2, one message that names the config's file and line and the plugin's id and
 * jar, and no stack trace.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadPluginIT {
    @TempDir
    Path dir;
    Path plugins;

    @BeforeEach
    void shippedPlugins() throws Exception {
        plugins = Files.createDirectories(dir.resolve("plugins"));
        try (Stream<Path> shipped = Files.list(Daemon.home().resolve("plugins"))) {
            for (Path jar : shipped.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.copy(jar, plugins.resolve(jar.getFileName()));
            }
        }
    }

    /** A plugin jar {@code <id>.jar} holding {@code com.example.<cls>}, compiled from {@code source}. */
    private void plugin(String id, String cls, String source) throws Exception {
        PluginJar.write(plugins.resolve(id + ".jar"), PluginJar.manifest(id), PluginJar.compile(dir, cls, """
                package com.example;
                import io.metacluster.spi.*;
                import java.util.List;
                @org.pf4j.Extension
                """ + source));
    }

    /** A config whose one listener has {@code block} (e.g. its verify block) on line 6; nothing listens on its ports. */
    private Path config(String block) throws Exception {
        Path config = dir.resolve("metacluster.yaml");
        Files.writeString(config, DaemonProcessIT.ONE_REMOTE_CLUSTER.replace("clusters: [dc1]", "clusters: [dc1]\n    " + block));
        return config;
    }

    /** Runs bin/metacluster with {@code args} and this test's plugins; its output, once it exited with {@code exit}. */
    private String run(int exit, String... args) throws Exception {
        String[] command = Stream.concat(Stream.of(Daemon.home().resolve("bin/metacluster").toString(), "--plugins",
                plugins.toString()), Stream.of(args)).toArray(String[]::new);
        String output = DaemonProcessIT.run(new ProcessBuilder(command).redirectErrorStream(true), exit);
        assertThat(output).as("no stack trace").doesNotContain("\tat ", "Exception in thread");
        return output;
    }

    /** {@code --check} and a start both refuse {@code config} with exit 2 and {@code message}. */
    private void refusedAlike(Path config, String message) throws Exception {
        assertThat(run(2, "--config", config.toString(), "--check")).contains(message);
        assertThat(run(2, "--config", config.toString())).contains(message);
    }

    @Test
    void aVerifyStrategyWhoseCreateThrowsIsRefusedWithTheLineAndTheJar() throws Exception {
        plugin("unlicensed", "Unlicensed", """
                public final class Unlicensed implements VerifyStrategy<NoConfig> {
                    @Override public String name() { return "unlicensed"; }
                    @Override public Class<NoConfig> configType() { return NoConfig.class; }
                    @Override public ReadVerifier create(NoConfig config, VerifyContext context) {
                        throw new IllegalStateException("no licence for listener " + context.listener());
                    }
                }
                """);
        Path config = config("verify: { strategy: unlicensed }");
        refusedAlike(config, "metacluster: config refused: " + config + ":6: listeners[0].verify.strategy: the verify"
                + " strategy com.example.Unlicensed of plugin unlicensed (unlicensed.jar) failed in create(): no licence"
                + " for listener main");
    }

    /**
     * A verify strategy that starts its timer in {@code create} (against the contract): it takes
     * the check's refusal of {@code schedule} for "nothing runs yet", but with the running engine
     * {@code schedule} throws too (create is not on an event loop), so the check passes and the
     * start does not.
     */
    private void eagerPlugin() throws Exception {
        plugin("eager", "Eager", """
                public final class Eager implements VerifyStrategy<NoConfig> {
                    @Override public String name() { return "eager"; }
                    @Override public Class<NoConfig> configType() { return NoConfig.class; }
                    @Override public ReadVerifier create(NoConfig config, VerifyContext context) {
                        try {
                            context.schedule(() -> { }, 1000, () -> { });
                        } catch (IllegalStateException e) {
                            if (!e.getMessage().startsWith("the config is being checked")) {
                                throw e;
                            }
                        }
                        return ReadVerifier.NONE;
                    }
                }
                """);
    }

    /** One listener on {@code port} with {@code verify} (line 7) in front of {@code dc1}, the admin endpoint on {@code admin}. */
    private Path configWithBackend(RedisServer dc1, int port, int admin, String verify) throws Exception {
        Path config = dir.resolve("metacluster.yaml");
        Files.writeString(config, """
                admin: { bind: 127.0.0.1:%d }
                listeners:
                  - name: main
                    protocol: redis
                    bind: 127.0.0.1:%d
                    clusters: [dc1]
                    verify: { strategy: %s }
                clusters:
                  - name: dc1
                    nodes: [%s]
                """.formatted(admin, port, verify, dc1.address()));
        return config;
    }

    private static final String EAGER_REFUSED = ":7: listeners[0].verify.strategy: the verify strategy com.example.Eager of"
            + " plugin eager (eager.jar) failed in create() for listener main with the running engine: VerifyContext.schedule"
            + " must be called on one of the listener's event loops";

    @Test
    void aVerifyStrategyWhoseCreateThrowsOnlyWithTheRunningEngineIsRefusedAtStart() throws Exception {
        eagerPlugin();
        try (RedisServer dc1 = RedisServer.start()) {
            int[] ports = FreePorts.find(2);
            Path config = configWithBackend(dc1, ports[0], ports[1], "eager");
            assertThat(run(0, "--config", config.toString(), "--check")).contains("config OK");
            assertThat(run(2, "--config", config.toString())).contains("metacluster: config refused: " + config + EAGER_REFUSED);
        }
    }

    @Test
    void aReloadToAVerifyStrategyWhoseCreateThrowsWithTheRunningEngineIsRefusedAndNothingChanges() throws Exception {
        eagerPlugin();
        try (RedisServer dc1 = RedisServer.start(); RedisServer dc2 = RedisServer.start()) {
            int[] ports = FreePorts.find(3);
            Path config = configWithBackend(dc1, ports[0], ports[1], "none");
            Path out = dir.resolve("out.log");
            Process daemon = new ProcessBuilder(Daemon.home().resolve("bin/metacluster").toString(), "--plugins",
                    plugins.toString(), "--config", config.toString()).redirectErrorStream(true).redirectOutput(out.toFile())
                    .start();
            try {
                DaemonProcessIT.awaitPort(ports[0], daemon);
                DaemonProcessIT.awaitPort(ports[1], daemon);
                // the refused file also adds a cluster, and a listener made before main's verifier: both undone
                Files.writeString(config, Files.readString(configWithBackend(dc1, ports[0], ports[1], "eager"))
                        .replace("listeners:\n", """
                                listeners:
                                  - { name: extra, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc2] }
                                """.formatted(ports[2]))
                        .replace("clusters:\n", "clusters:\n  - { name: dc2, nodes: [" + dc2.address() + "] }\n"));
                String refusal = config + EAGER_REFUSED.replace(":7: listeners[0]", ":8: listeners[1]");
                HttpResponse<String> reload = admin(ports[1], "POST", "/reload");
                assertThat(reload.statusCode()).as(reload.body()).isEqualTo(422);
                assertThat(reload.body()).contains(refusal);
                assertThat(Files.readString(out)).contains("config reload (POST /reload) refused, the running config is kept: "
                        + refusal).doesNotContain("\tat ");
                try (Jedis client = new Jedis("127.0.0.1", ports[0])) {
                    assertThat(client.set("still", "served")).isEqualTo("OK");
                    assertThat(client.get("still")).isEqualTo("served");
                }
                assertThat(admin(ports[1], "GET", "/config").body()).as("the running config").contains("main")
                        .doesNotContain("eager", "extra");
                assertThat(admin(ports[1], "GET", "/clusters").body()).contains("dc1").doesNotContain("dc2");
                assertThat(admin(ports[1], "GET", "/metrics").body()).contains("metacluster_reload_refused 1.0")
                        .doesNotContain("listener_extra");
                assertThatThrownBy(() -> new Socket("127.0.0.1", ports[2]).close()).as("extra not bound")
                        .isInstanceOf(ConnectException.class);
            } finally {
                daemon.destroy();
                assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
                daemon.destroyForcibly();
            }
        }
    }

    private static HttpResponse<String> admin(int port, String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aReadStrategyWhoseCreateThrowsIsRefusedWithTheLineAndTheJar() throws Exception {
        plugin("scarce", "Scarce", """
                public final class Scarce implements ReadStrategy<NoConfig> {
                    @Override public String name() { return "scarce"; }
                    @Override public Class<NoConfig> configType() { return NoConfig.class; }
                    @Override public ReadSelector create(NoConfig config) {
                        throw new UnsupportedOperationException("out of tokens");
                    }
                }
                """);
        Path config = config("read: { strategy: scarce }");
        refusedAlike(config, config + ":6: listeners[0].read.strategy: the read strategy com.example.Scarce of plugin"
                + " scarce (scarce.jar) failed in create(): out of tokens");
    }

    @Test
    void aVerifyStrategyThatWorksPassesTheCheck() throws Exception {
        plugin("mirror", "Mirror", """
                public final class Mirror implements VerifyStrategy<NoConfig> {
                    @Override public String name() { return "mirror"; }
                    @Override public Class<NoConfig> configType() { return NoConfig.class; }
                    @Override public ReadVerifier create(NoConfig config, VerifyContext context) {
                        context.metrics().counter("made").inc();
                        return ReadVerifier.NONE;
                    }
                }
                """);
        Path config = config("verify: { strategy: mirror }");
        assertThat(run(0, "--config", config.toString(), "--check")).contains("config OK");
    }

    @Test
    void aNameThatThrowsIsRefusedNamingTheJar() throws Exception {
        plugin("nameless", "Nameless", """
                public final class Nameless implements WritePolicyFactory<NoConfig> {
                    @Override public String name() { throw new IllegalStateException("name-boom"); }
                    @Override public Class<NoConfig> configType() { return NoConfig.class; }
                    @Override public WritePolicy create(NoConfig config) { return tally -> WritePolicy.Verdict.SUCCEEDED; }
                }
                """);
        Path config = config("write: { policy: first }");
        String message = "metacluster: cannot load plugins: the write policy com.example.Nameless of plugin nameless"
                + " (nameless.jar) failed in name(): java.lang.IllegalStateException: name-boom";
        refusedAlike(config, message);
    }
}
