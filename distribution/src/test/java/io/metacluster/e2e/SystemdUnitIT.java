package io.metacluster.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped systemd unit: the settings README promises, and {@code systemd-analyze verify}
 * finds nothing to say about it once its install path points at the built tree (it checks that
 * ExecStart is an executable, so the unit is verified against the real bin/metacluster).
 */
class SystemdUnitIT {
    private static final String INSTALL = "/opt/metacluster";

    @TempDir
    Path dir;

    @Test
    void theUnitRunsTheDaemonAsItsUserRestartsOnFailureAndReloadsWithSighup() throws Exception {
        String unit = Files.readString(Daemon.home().resolve("systemd/metacluster.service"));
        assertThat(unit.lines().map(String::strip)).contains(
                "Type=exec",
                "User=metacluster",
                "ExecStart=" + INSTALL + "/bin/metacluster run --config /etc/metacluster/metacluster.yaml",
                "ExecReload=/bin/kill -HUP $MAINPID",
                "Restart=on-failure",
                "RestartPreventExitStatus=2",
                "LimitNOFILE=65536",
                "StateDirectory=metacluster",
                "WantedBy=multi-user.target");

        Path local = Files.writeString(dir.resolve("metacluster.service"), unit.replace(INSTALL, Daemon.home().toString()));
        Process verify = new ProcessBuilder("systemd-analyze", "verify", local.toString()).redirectErrorStream(true).start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(verify.exitValue()).as(output).isZero();
        assertThat(output).as("systemd-analyze's warnings").isBlank();
    }
}
