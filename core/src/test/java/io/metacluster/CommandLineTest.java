package io.metacluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The subcommands as {@code bin/metacluster} runs them (the same {@link CommandLine} as
 * {@link Main#main}), with their exit codes and what they print. Configs that need a protocol
 * plugin are checked through the built distribution ({@code CliIT}); here the plugins folder is
 * empty or missing.
 */
class CommandLineTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return new CommandLine(new Main()).execute(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path emptyPlugins() throws IOException {
        return Files.createDirectories(dir.resolve("plugins"));
    }

    private Path config(String yaml) throws IOException {
        return Files.writeString(dir.resolve("metacluster.yaml"), yaml);
    }

    private static final String TYPO = """
            listeners:
              - name: main
                protocl: redis
            """;

    @Test
    void versionPrintsTheDaemonTheSpiAndTheJava() {
        assertThat(run("version")).isZero();
        assertThat(out()).startsWith("metacluster ").contains("\nSPI 0.", "\nJava " + System.getProperty("java.version"));
        String subcommand = out();
        assertThat(run("--version")).isZero();
        assertThat(out()).isEqualTo(subcommand);
    }

    @Test
    void checkRefusesWithFileLineFieldAndExit2AsStartAndTheCheckOptionDo() throws IOException {
        Path config = config(TYPO);
        String refusal = "metacluster: config refused: " + config + ":3: listeners[0].protocl: unknown field 'protocl'";
        String plugins = emptyPlugins().toString();
        assertThat(run("check", "--config", config.toString(), "--plugins-dir", plugins)).isEqualTo(2);
        assertThat(err()).startsWith(refusal);
        String checked = err();
        assertThat(run("--config", config.toString(), "--plugins", plugins, "--check")).isEqualTo(2);
        assertThat(err()).isEqualTo(checked);
        assertThat(run("run", "-c", config.toString(), "-p", plugins)).isEqualTo(2);
        assertThat(err()).isEqualTo(checked);
        assertThat(run("--config", config.toString(), "--plugins", plugins)).isEqualTo(2);
        assertThat(err()).isEqualTo(checked);
        assertThat(run("--config", config.toString(), "--plugins", plugins, "check")).as("options before the command").isEqualTo(2);
        assertThat(err()).isEqualTo(checked);
    }

    @Test
    void checkNamesAProtocolThatNoPluginProvides() throws IOException {
        Path config = config("""
                listeners:
                  - { name: main, protocol: redis, bind: 127.0.0.1:6399, clusters: [dc1] }
                clusters:
                  - { name: dc1, nodes: [127.0.0.1:7999] }
                """);
        assertThat(run("check", "-c", config.toString(), "-p", emptyPlugins().toString())).isEqualTo(2);
        assertThat(err()).contains(config + ":2: listeners[0].protocol: no protocol is named 'redis'");
        assertThat(out()).doesNotContain("config OK");
    }

    @Test
    void aMissingPluginsFolderIsRefusedByCheckAndByPlugins() throws IOException {
        Path nowhere = dir.resolve("nowhere");
        assertThat(run("check", "-c", config(TYPO).toString(), "-p", nowhere.toString())).isEqualTo(2);
        assertThat(err()).contains("cannot load plugins: plugins folder " + nowhere + " does not exist");
        assertThat(run("plugins", "--plugins-dir", nowhere.toString())).isEqualTo(2);
        assertThat(out()).contains("refused: plugins folder " + nowhere + " does not exist");
    }

    @Test
    void pluginsOfAnEmptyFolderShowsTheBuiltInsOnly() throws IOException {
        assertThat(run("plugins", "--plugins-dir", emptyPlugins().toString())).isZero();
        assertThat(out()).contains("(no plugin jars)", "built in: ", "write policy first", "topology single")
                .doesNotContain("refused");
    }

    @Test
    void topOnceAgainstNothingExitsOneNamingTheAddress() throws IOException {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        assertThat(run("top", "--once", "--admin", "127.0.0.1:" + port, "--interval-ms", "100")).isEqualTo(1);
        assertThat(err()).contains("metacluster top: cannot read http://127.0.0.1:" + port + "/clusters: nothing answers");
    }

    @Test
    void topWithoutATerminalAsksForOnce() {
        assertThat(run("top", "--admin", "127.0.0.1:9")).isEqualTo(2);
        assertThat(err()).contains("metacluster top: not a terminal; use --once for plain text");
    }

    @Test
    void usageErrorsExit2() {
        assertThat(run("check", "--no-such-option")).isEqualTo(2);
        assertThat(err()).contains("Unknown option");
        assertThat(run("top", "--interval-ms", "10", "--once")).isEqualTo(2);
        assertThat(run("no-such-command")).isEqualTo(2);
    }

    @Test
    void helpListsTheSubcommands() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("run", "check", "plugins", "version", "top", "--check");
    }
}
