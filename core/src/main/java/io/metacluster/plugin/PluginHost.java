package io.metacluster.plugin;

import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadStrategy;
import io.metacluster.spi.StrategyFactory;
import io.metacluster.spi.TopologyFactory;
import io.metacluster.spi.VerifyStrategy;
import io.metacluster.spi.WritePolicyFactory;
import org.pf4j.DefaultPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads the plugin jars of a folder with PF4J and indexes their extensions by name, together
 * with the ones the core ships itself.
 */
public final class PluginHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginHost.class);

    private final PluginManager manager;
    private final Extensions<Protocol> protocols;
    private final Extensions<ReadStrategy<?>> readStrategies;
    private final Extensions<WritePolicyFactory<?>> writePolicies;
    private final Extensions<VerifyStrategy<?>> verifyStrategies;
    private final Extensions<TopologyFactory<?>> topologies;

    private PluginHost(PluginManager manager, ExtensionSource source) {
        this.manager = manager;
        this.protocols = new Extensions<>("protocol", source.find(Protocol.class), Protocol::name, this::origin);
        this.readStrategies = named("read strategy", source.find(ReadStrategy.class), List.of());
        this.writePolicies = named("write policy", source.find(WritePolicyFactory.class), BuiltIns.WRITE_POLICIES);
        this.verifyStrategies = named("verify strategy", source.find(VerifyStrategy.class), List.of(BuiltIns.NO_VERIFY));
        this.topologies = named("topology", source.find(TopologyFactory.class), List.of(BuiltIns.SINGLE_NODE, BuiltIns.HASH_RING));
    }

    /** Where extensions come from: PF4J, or a fixed list. */
    private interface ExtensionSource {
        <T> List<T> find(Class<T> type);
    }

    /** What {@link #origin} says of an extension of the core's own (or of a host made by {@link #of}). */
    public static final String BUILT_IN = "built in";

    /** The plugin and jar an extension comes from ({@code plugin ID (FILE.jar)}), or {@link #BUILT_IN}, for messages. */
    public String origin(Object extension) {
        PluginWrapper plugin = manager == null ? null : manager.whichPlugin(extension.getClass());
        return plugin == null ? BUILT_IN : describe(plugin);
    }

    static String describe(PluginWrapper plugin) {
        return "plugin " + plugin.getPluginId() + " (" + plugin.getPluginPath().getFileName() + ")";
    }

    /** A host with the given extensions (and the core's built-ins) and no plugin jars, e.g. for tests. */
    public static PluginHost of(Object... extensions) {
        return new PluginHost(null, new ExtensionSource() {
            @Override
            public <T> List<T> find(Class<T> type) {
                return java.util.Arrays.stream(extensions).filter(type::isInstance).map(type::cast).toList();
            }
        });
    }

    /**
     * Loads and starts every plugin jar in {@code pluginsDir}, after checking them all (see
     * {@link PluginJars}); logs each plugin with the extensions it provides.
     *
     * @throws IllegalStateException naming the jar, for a jar that cannot be used
     */
    public static PluginHost load(Path pluginsDir) {
        PluginHost host = loadQuietly(pluginsDir);
        host.logPlugins();
        return host;
    }

    /** The version of the SPI this daemon offers plugins (a plugin's {@code Plugin-Requires} must accept it). */
    public static String spiVersion() {
        return SpiVersion.CURRENT;
    }

    /** {@link #load} without the log line per plugin, for a command that reports them itself. */
    static PluginHost loadQuietly(Path pluginsDir) {
        if (!Files.isDirectory(pluginsDir)) {
            throw new IllegalArgumentException("plugins folder " + pluginsDir + " does not exist");
        }
        DefaultPluginManager manager = new DefaultPluginManager(pluginsDir);
        manager.setSystemVersion(SpiVersion.CURRENT);
        PluginJars.check(pluginsDir, SpiVersion.CURRENT, manager.getVersionManager());
        manager.loadPlugins();
        manager.startPlugins();
        PluginHost host;
        try {
            host = new PluginHost(manager, manager::getExtensions);
        } catch (RuntimeException e) {
            manager.stopPlugins();
            manager.unloadPlugins();
            throw e;
        }
        return host;
    }

    /** What each origin ({@link #origin}: a plugin and its jar, or "built in") provides, as "kind name". */
    Map<String, List<String>> provided() {
        Map<String, List<String>> provided = new TreeMap<>();
        for (Extensions<?> kind : List.of(protocols, readStrategies, writePolicies, verifyStrategies, topologies)) {
            kind.byName().forEach((name, extension) ->
                    provided.computeIfAbsent(origin(extension), o -> new ArrayList<>()).add(kind.kind() + " " + name));
        }
        return provided;
    }

    /** The plugins PF4J loaded. */
    List<PluginWrapper> plugins() {
        return manager == null ? List.of() : manager.getPlugins();
    }

    private void logPlugins() {
        Map<String, List<String>> provided = provided();
        for (PluginWrapper plugin : plugins()) {
            List<String> names = provided.getOrDefault(describe(plugin), List.of());
            if (names.isEmpty()) {
                log.warn("plugin {} {} ({}) provides no extension: its jar has no META-INF/extensions.idx (PF4J's annotation"
                        + " processor did not run: see plugins/README.md) or no @Extension class", plugin.getPluginId(),
                        plugin.getDescriptor().getVersion(), plugin.getPluginPath().getFileName());
            } else {
                log.info("plugin {} {} loaded from {}: {}", plugin.getPluginId(), plugin.getDescriptor().getVersion(),
                        plugin.getPluginPath().getFileName(), String.join(", ", names));
            }
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private <T extends StrategyFactory<?>> Extensions<T> named(String kind, List found, List<? extends T> builtIns) {
        Collection<T> all = new ArrayList<>(builtIns);
        all.addAll(found);
        return new Extensions<>(kind, all, StrategyFactory::name, this::origin);
    }

    public Extensions<Protocol> protocols() {
        return protocols;
    }

    public Extensions<ReadStrategy<?>> readStrategies() {
        return readStrategies;
    }

    public Extensions<WritePolicyFactory<?>> writePolicies() {
        return writePolicies;
    }

    public Extensions<VerifyStrategy<?>> verifyStrategies() {
        return verifyStrategies;
    }

    public Extensions<TopologyFactory<?>> topologies() {
        return topologies;
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.stopPlugins();
            manager.unloadPlugins();
        }
    }
}
