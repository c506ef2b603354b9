package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.metacluster.e2e.DaemonProcessIT.metacluster;
import static io.metacluster.e2e.DaemonProcessIT.run;
import static org.assertj.core.api.Assertions.assertThat;

/** The subcommands through bin/metacluster of the install tree, with the shipped plugin jars. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CliIT {
    @TempDir
    Path dir;

    /** A listener in front of one cluster that nothing serves: enough for a check. */
    private static final String CONFIG = """
            listeners:
              - name: main
                protocol: redis
                bind: 127.0.0.1:6999
                clusters: [dc1]
                verify: { strategy: sampled, rate: 0.5 }
            clusters:
              - { name: dc1, local: true, nodes: [127.0.0.1:7999] }
            """;

    @Test
    void versionNamesTheDaemonTheSpiAndTheJava() throws Exception {
        String version = run(metacluster("version"), 0);
        assertThat(version).containsPattern("(?m)^metacluster \\d+\\.\\d+\\.\\d+").containsPattern("(?m)^SPI \\d+\\.\\d+\\.\\d+$")
                .containsPattern("(?m)^Java (1[7-9]|[2-9]\\d)");
        assertThat(run(metacluster("--version"), 0)).isEqualTo(version);
        assertThat(run(metacluster("--help"), 0)).contains("run", "check", "plugins", "version", "top");
    }

    @Test
    void checkAcceptsAGoodConfigAndRefusesBadOnesAsAStartWould() throws Exception {
        Path good = Files.writeString(dir.resolve("good.yaml"), CONFIG);
        assertThat(run(metacluster("check", "--config", good.toString()), 0)).contains("config OK: " + good);
        assertThat(run(metacluster("check"), 0)).as("the shipped example").contains("config OK");

        Path unknownProtocol = Files.writeString(dir.resolve("protocol.yaml"), CONFIG.replace("protocol: redis", "protocol: redis2"));
        String refusal = unknownProtocol + ":3: listeners[0].protocol: no protocol is named 'redis2'; available: memcached, redis";
        assertThat(run(metacluster("check", "-c", unknownProtocol.toString()), 2)).contains(refusal).doesNotContain("config OK");
        assertThat(run(metacluster("-c", unknownProtocol.toString(), "--check"), 2)).contains(refusal);
        assertThat(run(metacluster("run", "-c", unknownProtocol.toString()), 2)).contains(refusal);

        Path pluginRefuses = Files.writeString(dir.resolve("rate.yaml"), CONFIG.replace("rate: 0.5", "rate: 2.0"));
        assertThat(run(metacluster("check", "-c", pluginRefuses.toString()), 2))
                .contains(pluginRefuses + ":6: listeners[0].verify: rate must be between 0 and 1");
    }

    @Test
    void pluginsListsEachShippedJarWithWhatItProvides() throws Exception {
        String plugins = run(metacluster("plugins"), 0);
        assertThat(plugins).containsPattern("(?m)^  redis\\.jar +redis \\S+ +protocol redis, topology redis-cluster$")
                .containsPattern("(?m)^  memcached\\.jar +memcached \\S+ +protocol memcached$")
                .containsPattern("(?m)^  locality\\.jar +locality \\S+ +read strategy locality$")
                .containsPattern("(?m)^  verify\\.jar +verify \\S+ +verify strategy sampled$")
                .containsPattern("(?m)^built in: .*write policy first.*topology hash-ring")
                .doesNotContain("refused");
    }

    @Test
    void pluginsNamesTheRefusalsOfAFolderTheDaemonWouldNotStartWith() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("plugins"));
        Path redis = Daemon.home().resolve("plugins/redis.jar");
        Files.copy(redis, folder.resolve("redis.jar"));
        Files.copy(redis, folder.resolve("redis-old.jar"));
        Files.writeString(folder.resolve("notes.jar"), "not a jar");
        String plugins = run(metacluster("plugins", "--plugins-dir", folder.toString()), 2);
        assertThat(plugins).contains("refused: redis-old.jar and redis.jar both have Plugin-Id 'redis'",
                "refused: notes.jar cannot be read as a jar");
        assertThat(plugins).containsPattern("(?m)^  redis\\.jar +redis \\S+ +\\(not loaded\\)$");
        Path good = Files.writeString(dir.resolve("good.yaml"), CONFIG);
        assertThat(run(metacluster("check", "-c", good.toString(), "--plugins", folder.toString()), 2))
                .contains("cannot load plugins: ", "both have Plugin-Id 'redis'");
    }
}
