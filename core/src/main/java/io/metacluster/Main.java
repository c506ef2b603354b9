package io.metacluster;

import io.metacluster.cli.PluginsCommand;
import io.metacluster.cli.TopCommand;
import io.metacluster.cli.VersionCommand;
import io.metacluster.config.ConfigException;
import io.metacluster.config.ConfigLoader;
import io.metacluster.config.Plan;
import io.metacluster.engine.Engine;
import io.metacluster.plugin.PluginHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * The daemon's command line: without a subcommand it runs the daemon (as {@code run} does).
 * Exit codes: 0 stopped cleanly, 1 could not start, 2 bad usage or config.
 */
@Command(name = "metacluster", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A Redis and memcached proxy that writes to every cluster and reads from the local one.",
        exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 1,
        subcommands = {DaemonCommands.Run.class, DaemonCommands.Check.class, PluginsCommand.class, VersionCommand.class,
                TopCommand.class})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML config (default: conf/metacluster.yaml of the install)")
    Path config;

    @Option(names = {"-p", "--plugins"}, paramLabel = "DIR",
            description = "folder of plugin jars (default: plugins/ of the install)")
    Path plugins;

    @Option(names = "--check", description = "check the config and the plugins, then exit")
    boolean check;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        Path home = Path.of(System.getProperty("metacluster.home", "."));
        Path configFile = config != null ? config : home.resolve("conf/metacluster.yaml");
        Path pluginsDir = plugins != null ? plugins : home.resolve("plugins");
        PluginHost host;
        try {
            host = PluginHost.load(pluginsDir);
        } catch (RuntimeException e) {
            System.err.println("metacluster: cannot load plugins: " + e.getMessage());
            return 2;
        }
        try {
            Plan plan;
            try {
                plan = ConfigLoader.load(configFile, host);
            } catch (ConfigException e) {
                System.err.println("metacluster: config refused: " + e.getMessage());
                return 2;
            }
            if (check) {
                System.out.println("config OK: " + configFile);
                return 0;
            }
            Engine engine;
            try {
                engine = Engine.start(plan, () -> ConfigLoader.load(configFile, host), configFile.toString());
            } catch (Engine.StartException e) {
                if (e.configRefused()) {
                    System.err.println("metacluster: config refused: " + e.getMessage());
                    return 2;
                }
                System.err.println("metacluster: cannot start: " + e.getMessage());
                return 1;
            }
            awaitStopSignal();
            log.info("stopping");
            engine.close();
            log.info("stopped");
            return 0;
        } finally {
            host.close();
        }
    }

    private static void awaitStopSignal() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        // handling the signals ourselves (rather than a shutdown hook) lets a stop end with exit code 0
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        stop.await();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return VersionCommand.lines();
        }
    }
}
