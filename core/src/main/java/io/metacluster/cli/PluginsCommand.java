package io.metacluster.cli;

import io.metacluster.plugin.PluginInventory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code metacluster plugins}: what a plugins folder provides, checked and loaded as a start would.
 * Exit 0, or 2 when the daemon would refuse the folder (each refusal printed).
 */
@Command(name = "plugins", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 1,
        description = {"List the installed plugins: each jar, its plugin id and version, and the extension names it provides.",
                "Exit 0, or 2 when the daemon would refuse the folder (the reasons are printed)."})
public final class PluginsCommand implements Callable<Integer> {
    @Option(names = {"-p", "--plugins", "--plugins-dir"}, paramLabel = "DIR",
            description = "folder of plugin jars (default: plugins/ of the install)")
    Path plugins;

    @Override
    public Integer call() {
        Path dir = plugins != null ? plugins : Path.of(System.getProperty("metacluster.home", ".")).resolve("plugins");
        PluginInventory inventory = PluginInventory.of(dir);
        print(inventory, System.out);
        return inventory.refusals().isEmpty() ? 0 : 2;
    }

    static void print(PluginInventory inventory, PrintStream out) {
        out.println("plugins folder " + inventory.dir() + " (daemon SPI " + inventory.spiVersion() + ")");
        int jarWidth = inventory.plugins().stream().mapToInt(p -> p.jar().length()).max().orElse(0);
        int idWidth = inventory.plugins().stream().mapToInt(p -> p.id().length() + 1 + p.version().length()).max().orElse(0);
        for (PluginInventory.Plugin plugin : inventory.plugins()) {
            String provides = plugin.provides().isEmpty() ? (inventory.refusals().isEmpty() ? "(nothing)" : "(not loaded)")
                    : String.join(", ", plugin.provides());
            out.printf("  %-" + jarWidth + "s  %-" + idWidth + "s  %s%n", plugin.jar(), plugin.id() + " " + plugin.version(), provides);
        }
        if (inventory.plugins().isEmpty()) {
            out.println("  (no plugin jars)");
        }
        if (!inventory.builtIns().isEmpty()) {
            out.println("built in: " + String.join(", ", inventory.builtIns()));
        }
        for (String refusal : inventory.refusals()) {
            out.println("refused: " + refusal);
        }
    }
}
