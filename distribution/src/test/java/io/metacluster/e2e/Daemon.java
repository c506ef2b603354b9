package io.metacluster.e2e;

import io.metacluster.config.ClusterPlan;
import io.metacluster.config.ConfigLoader;
import io.metacluster.engine.Engine;
import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon as the distribution ships it: the engine started in this JVM from a YAML text,
 * with the plugin jars of the built install tree (never the plugin classes of the reactor).
 */
final class Daemon implements AutoCloseable {
    final PluginHost plugins;
    final Engine engine;

    private Daemon(PluginHost plugins, Engine engine) {
        this.plugins = plugins;
        this.engine = engine;
    }

    /** The unpacked distribution that {@code mvn package} built. */
    static Path home() {
        String home = System.getProperty("metacluster.home");
        if (home == null || !Files.isDirectory(Path.of(home, "plugins"))) {
            throw new IllegalStateException("run through Maven (failsafe sets metacluster.home to the built distribution), got " + home);
        }
        return Path.of(home);
    }

    static Daemon start(String yaml) throws Exception {
        return start(home().resolve("plugins"), yaml);
    }

    /** The daemon with the plugin jars of {@code pluginsDir}, e.g. the shipped ones and a test's own. */
    static Daemon start(Path pluginsDir, String yaml) throws Exception {
        PluginHost plugins = PluginHost.load(pluginsDir);
        try {
            return new Daemon(plugins, Engine.start(ConfigLoader.parse("test.yaml", yaml, plugins)));
        } catch (Exception | Error e) {
            plugins.close();
            throw e;
        }
    }

    @Override
    public void close() {
        engine.close();
        plugins.close();
    }

    /** The index of the node that holds {@code key} in cluster {@code cluster}, with the nodes {@code ejected} out. */
    int nodeOf(String cluster, String key, int... ejected) {
        Topology topology = engine.plan().clusters().stream().filter(c -> c.name().equals(cluster)).findFirst()
                .map(ClusterPlan::topology).orElseThrow();
        if (ejected.length > 0) {
            BitSet out = new BitSet();
            Arrays.stream(ejected).forEach(out::set);
            topology = topology.without(out);
        }
        ByteBuf frame = Unpooled.copiedBuffer(key, StandardCharsets.UTF_8);
        Command command = Command.of(frame, "get", CommandKind.READ, 0, frame.readableBytes(), null, 0);
        try {
            return topology.nodeFor(command);
        } finally {
            command.release();
        }
    }

    /** The count of counter {@code name} of the engine's metrics. */
    long counter(String name) {
        return engine.metrics().counter(name).getCount();
    }

    /** Waits (at most 60 s) until counter {@code name} reached {@code atLeast}. */
    void awaitCounter(String name, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (counter(name) < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(counter(name)).as(name).isGreaterThanOrEqualTo(atLeast);
    }

    /**
     * Waits (at most 30 s) until every cluster is healthy on every event loop again, e.g. after a
     * test stopped and restarted one; fails if one is not.
     */
    void awaitHealthy() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (engine.clusterHealth().containsValue(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(engine.clusterHealth()).doesNotContainValue(false);
    }
}
