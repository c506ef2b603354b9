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
        this.protocols = new Extensions<>("protocol", source.find(Protocol.class), Protocol::name);
        this.readStrategies = named("read strategy", source.find(ReadStrategy.class), List.of());
        this.writePolicies = named("write policy", source.find(WritePolicyFactory.class), BuiltIns.WRITE_POLICIES);
        this.verifyStrategies = named("verify strategy", source.find(VerifyStrategy.class), List.of(BuiltIns.NO_VERIFY));
        this.topologies = named("topology", source.find(TopologyFactory.class), List.of(BuiltIns.SINGLE_NODE, BuiltIns.HASH_RING));
    }

    /** Where extensions come from: PF4J, or a fixed list. */
    private interface ExtensionSource {
        <T> List<T> find(Class<T> type);
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

    /** Loads and starts every plugin jar in {@code pluginsDir}. */
    public static PluginHost load(Path pluginsDir) {
        if (!Files.isDirectory(pluginsDir)) {
            throw new IllegalArgumentException("plugins folder " + pluginsDir + " does not exist");
        }
        DefaultPluginManager manager = new DefaultPluginManager(pluginsDir);
        manager.loadPlugins();
        manager.startPlugins();
        for (PluginWrapper plugin : manager.getPlugins()) {
            log.info("plugin {} {} loaded from {} ({})", plugin.getPluginId(), plugin.getDescriptor().getVersion(),
                    plugin.getPluginPath().getFileName(), plugin.getPluginState());
        }
        return new PluginHost(manager, manager::getExtensions);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T extends StrategyFactory<?>> Extensions<T> named(String kind, List found, List<? extends T> builtIns) {
        Collection<T> all = new ArrayList<>(builtIns);
        all.addAll(found);
        return new Extensions<>(kind, all, StrategyFactory::name);
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
