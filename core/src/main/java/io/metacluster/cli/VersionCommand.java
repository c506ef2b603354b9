package io.metacluster.cli;

import io.metacluster.plugin.PluginHost;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code metacluster version}: the daemon's version, the SPI version plugins are built against, and the Java running it. */
@Command(name = "version", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 2,
        description = "Print the daemon's version, the plugin SPI's version and the Java that runs it.")
public final class VersionCommand implements Callable<Integer> {

    /** What {@code version} and {@code --version} print, one fact a line. */
    public static String[] lines() {
        String version = VersionCommand.class.getPackage().getImplementationVersion();
        return new String[]{
                "metacluster " + (version == null ? "(development build)" : version),
                "SPI " + PluginHost.spiVersion(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("java.vendor") + ") at " + System.getProperty("java.home")};
    }

    @Override
    public Integer call() {
        for (String line : lines()) {
            System.out.println(line);
        }
        return 0;
    }
}
