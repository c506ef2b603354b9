package io.metacluster.plugin;

import io.metacluster.spi.Protocol;
import io.metacluster.testing.PluginJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Plugin jars built here, at test time, with javac and PF4J's annotation processor, as a plugin
 * author would build them: a good one is loaded and found by name; every bad one is refused with
 * a message that names its jar.
 */
class PluginJarsTest {
    @TempDir
    Path work;

    /** The source of a read strategy {@code com.example.<cls>} named {@code name}, whose name() may throw. */
    private static String readStrategy(String cls, String nameExpression) {
        return """
                package com.example;
                import io.metacluster.spi.*;
                @org.pf4j.Extension
                public final class %s implements ReadStrategy<NoConfig> {
                    @Override public String name() { return %s; }
                    @Override public Class<NoConfig> configType() { return NoConfig.class; }
                    @Override public ReadSelector create(NoConfig config) {
                        return (command, candidates) -> candidates.isEmpty() ? null : candidates.get(0);
                    }
                }
                """.formatted(cls, nameExpression);
    }

    private Map<String, byte[]> compile(String cls, String source) throws IOException {
        return PluginJar.compile(work, cls, source);
    }

    private static void jar(Path jar, Map<String, String> manifestEntries, Map<String, byte[]> files) throws IOException {
        PluginJar.write(jar, manifestEntries, files);
    }

    private Path plugins() throws IOException {
        return Files.createDirectories(work.resolve("plugins"));
    }

    private static Map<String, String> manifest(String id) {
        return PluginJar.manifest(id);
    }

    private void assertRefused(String... messageParts) {
        assertThatThrownBy(() -> PluginHost.load(work.resolve("plugins")).close())
                .isInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(messageParts));
    }

    @Test
    void aPluginBuiltAsDocumentedIsLoadedAndFoundByName() throws Exception {
        jar(plugins().resolve("pinned.jar"), manifest("pinned"), compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        try (PluginHost host = PluginHost.load(plugins())) {
            assertThat(host.readStrategies().find("pinned")).isNotNull();
            assertThat(host.readStrategies().find("pinned").getClass().getName()).isEqualTo("com.example.Pinned");
        }
    }

    @Test
    void aJarWithoutPluginIdIsRefusedByName() throws Exception {
        jar(plugins().resolve("anonymous.jar"), Map.of("Plugin-Version", "1.0.0"), compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        assertRefused("anonymous.jar has no Plugin-Id in META-INF/MANIFEST.MF");
    }

    @Test
    void twoJarsWithOneIdAreBothNamed() throws Exception {
        Map<String, byte[]> classes = compile("Pinned", readStrategy("Pinned", "\"pinned\""));
        jar(plugins().resolve("pinned-1.0.jar"), manifest("pinned"), classes);
        jar(plugins().resolve("pinned-1.1.jar"), manifest("pinned"), classes);
        assertRefused("pinned-1.0.jar and pinned-1.1.jar both have Plugin-Id 'pinned'");
    }

    @Test
    void aJarBundlingTheSpiIsRefused() throws Exception {
        Map<String, byte[]> classes = new java.util.TreeMap<>(compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        try (InputStream spi = Protocol.class.getResourceAsStream("Protocol.class")) {
            classes.put("io/metacluster/spi/Protocol.class", spi.readAllBytes());
        }
        jar(plugins().resolve("fat.jar"), manifest("fat"), classes);
        assertRefused("fat.jar (plugin fat) bundles the SPI's classes");
    }

    @Test
    void aJarWithoutTheExtensionIndexIsRefused() throws Exception {
        Map<String, byte[]> classes = new java.util.TreeMap<>(compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        classes.remove("META-INF/extensions.idx");
        jar(plugins().resolve("unindexed.jar"), manifest("unindexed"), classes);
        assertRefused("unindexed.jar (plugin unindexed) has no META-INF/extensions.idx");
    }

    @Test
    void aMissingDependencyIsNamed() throws Exception {
        Map<String, String> entries = new java.util.HashMap<>(manifest("wrapper"));
        entries.put("Plugin-Dependencies", "redis, optional-thing?");
        jar(plugins().resolve("wrapper.jar"), entries, compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        assertRefused("wrapper.jar (plugin wrapper) depends on plugin 'redis' (Plugin-Dependencies), which is not in");
    }

    @Test
    void anIncompatibleSpiVersionIsRefused() throws Exception {
        Map<String, String> entries = new java.util.HashMap<>(manifest("future"));
        entries.put("Plugin-Requires", ">=9.0.0");
        jar(plugins().resolve("future.jar"), entries, compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        assertRefused("future.jar (plugin future) has Plugin-Requires '>=9.0.0', which this daemon's SPI " + SpiVersion.CURRENT
                + " does not satisfy");
    }

    @Test
    void aNameThatThrowsNamesTheJar() throws Exception {
        jar(plugins().resolve("boom.jar"), manifest("boom"), compile("Boom", readStrategy("Boom", "boom()") .replace(
                "@Override public Class", "private static String boom() { throw new IllegalStateException(\"name-boom\"); }\n    @Override public Class")));
        assertRefused("the read strategy com.example.Boom of plugin boom (boom.jar) failed in name():", "name-boom");
    }

    @Test
    void twoExtensionsOfOneNameNameBothPlugins() throws Exception {
        jar(plugins().resolve("a.jar"), manifest("a"), compile("First", readStrategy("First", "\"pinned\"")));
        jar(plugins().resolve("b.jar"), manifest("b"), compile("Second", readStrategy("Second", "\"pinned\"")));
        assertRefused("two read strategies are named 'pinned': com.example.First of plugin a (a.jar) and com.example.Second of plugin b (b.jar)");
    }

    @Test
    void theInventoryNamesEachJarWithItsIdVersionAndExtensionsAndTheBuiltIns() throws Exception {
        jar(plugins().resolve("pinned.jar"), manifest("pinned"), compile("Pinned", readStrategy("Pinned", "\"pinned\"")));
        PluginInventory inventory = PluginInventory.of(plugins());
        assertThat(inventory.refusals()).isEmpty();
        assertThat(inventory.spiVersion()).isEqualTo(SpiVersion.CURRENT);
        assertThat(inventory.plugins()).containsExactly(
                new PluginInventory.Plugin("pinned.jar", "pinned", "1.0.0", java.util.List.of("read strategy pinned")));
        assertThat(inventory.builtIns()).contains("write policy first", "topology hash-ring", "verify strategy none");
    }

    @Test
    void theInventoryOfARefusedFolderListsTheJarsAndEveryRefusalAndLoadsNothing() throws Exception {
        Map<String, byte[]> classes = compile("Pinned", readStrategy("Pinned", "\"pinned\""));
        jar(plugins().resolve("pinned-1.0.jar"), manifest("pinned"), classes);
        jar(plugins().resolve("pinned-1.1.jar"), manifest("pinned"), classes);
        jar(plugins().resolve("anonymous.jar"), Map.of("Plugin-Version", "1.0.0"), classes);
        PluginInventory inventory = PluginInventory.of(plugins());
        assertThat(inventory.plugins()).extracting(PluginInventory.Plugin::jar).containsExactly("pinned-1.0.jar", "pinned-1.1.jar");
        assertThat(inventory.plugins()).allSatisfy(plugin -> assertThat(plugin.provides()).isEmpty());
        assertThat(inventory.refusals()).hasSize(2).anySatisfy(r -> assertThat(r).contains("anonymous.jar has no Plugin-Id"))
                .anySatisfy(r -> assertThat(r).contains("pinned-1.0.jar and pinned-1.1.jar both have Plugin-Id 'pinned'"));
        assertThat(PluginInventory.of(work.resolve("nowhere")).refusals()).singleElement().asString().contains("does not exist");
    }
}
