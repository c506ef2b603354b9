package io.metacluster;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code metacluster run} and {@code metacluster check}: the daemon's own start-up path under a
 * name, so that {@code check} refuses exactly what a start would refuse, with the same message and
 * exit code ({@code --check} and a plain {@code metacluster --config F} stay as they were).
 */
final class DaemonCommands {
    private DaemonCommands() {
    }

    /** The files a daemon starts from; unset means the install's own ({@link Main}'s defaults). */
    static final class Files {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "YAML config (default: conf/metacluster.yaml of the install)")
        Path config;

        @Option(names = {"-p", "--plugins", "--plugins-dir"}, paramLabel = "DIR",
                description = "folder of plugin jars (default: plugins/ of the install)")
        Path plugins;

        /** The daemon with these files, else those given before the command ({@code metacluster -c F run}). */
        Main daemon(Main parent, boolean check) {
            Main main = new Main();
            main.config = config != null ? config : parent.config;
            main.plugins = plugins != null ? plugins : parent.plugins;
            main.check = check;
            return main;
        }
    }

    /** A command that takes the daemon's start-up path, to the end or only through its checks. */
    abstract static class StartUp implements Callable<Integer> {
        @Mixin
        Files files;

        @ParentCommand
        Main parent;

        private final boolean check;

        StartUp(boolean check) {
            this.check = check;
        }

        @Override
        public Integer call() throws Exception {
            return files.daemon(parent, check).call();
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 1,
            description = "Run the daemon in the foreground until SIGTERM or SIGINT (exit 0; 1 could not start; 2 config refused).")
    static final class Run extends StartUp {
        Run() {
            super(false);
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 1,
            description = {"Validate the config as a start would: every named plugin found and its settings checked.",
                    "Exit 0 (prints \"config OK\"), or 2 with file:line: field: reason."})
    static final class Check extends StartUp {
        Check() {
            super(true);
        }
    }
}
