package io.metacluster.plugin;

import org.pf4j.DefaultVersionManager;
import org.pf4j.PluginWrapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a plugins folder holds, as {@code metacluster plugins} shows it: each jar with its plugin
 * id, version and the extension names it provides, the core's built-ins, and the refusals that
 * would stop the daemon from starting with this folder. The jars are checked and loaded exactly
 * as at start-up ({@link PluginHost#load}), so what this shows is what the daemon would get.
 *
 * @param plugins  one entry per jar whose manifest could be read, in file name order
 * @param builtIns the extensions the core provides itself, as "kind name"
 * @param refusals why the daemon would refuse the folder, one line each; empty when it loads
 */
public record PluginInventory(Path dir, String spiVersion, List<Plugin> plugins, List<String> builtIns,
                              List<String> refusals) {

    /**
     * One plugin jar.
     *
     * @param provides its extensions as "kind name" (e.g. "protocol redis"); empty when the folder
     *                 was refused, since nothing was loaded then
     */
    public record Plugin(String jar, String id, String version, List<String> provides) {
    }

    /** Reads {@code dir}; loads its plugins (and unloads them again) only when no jar is refused. */
    public static PluginInventory of(Path dir) {
        String spi = PluginHost.spiVersion();
        if (!Files.isDirectory(dir)) {
            return new PluginInventory(dir, spi, List.of(), List.of(), List.of("plugins folder " + dir + " does not exist"));
        }
        List<String> refusals = new ArrayList<>();
        List<PluginJars.Jar> jars = PluginJars.read(dir, spi, new DefaultVersionManager(), refusals);
        if (refusals.isEmpty()) {
            try (PluginHost host = PluginHost.loadQuietly(dir)) {
                Map<String, List<String>> provided = host.provided();
                List<Plugin> plugins = new ArrayList<>();
                for (PluginWrapper plugin : host.plugins()) {
                    plugins.add(new Plugin(plugin.getPluginPath().getFileName().toString(), plugin.getPluginId(),
                            plugin.getDescriptor().getVersion(), provided.getOrDefault(PluginHost.describe(plugin), List.of())));
                }
                plugins.sort(Comparator.comparing(Plugin::jar));
                return new PluginInventory(dir, spi, List.copyOf(plugins), provided.getOrDefault(PluginHost.BUILT_IN, List.of()),
                        List.of());
            } catch (RuntimeException e) {
                refusals.add(e.getMessage());
            }
        }
        List<Plugin> unloaded = jars.stream().map(jar -> new Plugin(jar.path().getFileName().toString(), jar.id(),
                jar.version(), List.<String>of())).toList();
        return new PluginInventory(dir, spi, unloaded, List.of(), List.copyOf(refusals));
    }
}
