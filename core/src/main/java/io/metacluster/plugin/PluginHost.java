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

    private PluginHost(PluginManager manager) {
        this.manager = manager;
        this.protocols = new Extensions<>("protocol", manager.getExtensions(Protocol.class), Protocol::name);
        this.readStrategies = named("read strategy", manager.getExtensions(ReadStrategy.class), List.of());
        this.writePolicies = named("write policy", manager.getExtensions(WritePolicyFactory.class), BuiltIns.WRITE_POLICIES);
        this.verifyStrategies = named("verify strategy", manager.getExtensions(VerifyStrategy.class), List.of(BuiltIns.NO_VERIFY));
        this.topologies = named("topology", manager.getExtensions(TopologyFactory.class), List.of(BuiltIns.SINGLE_NODE));
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
        return new PluginHost(manager);
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
        manager.stopPlugins();
        manager.unloadPlugins();
    }
}
