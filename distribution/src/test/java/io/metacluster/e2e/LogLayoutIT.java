package io.metacluster.e2e;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped conf/logback.xml in both layouts, switched as an operator switches it
 * ({@code METACLUSTER_LOG_FORMAT}, here as a property of a logging context of the test's own):
 * json gives one object per event with the exception's class, message and stack.
 */
class LogLayoutIT {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private PrintStream saved;

    @BeforeEach
    void capture() {
        saved = System.out;
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(saved);
    }

    /** A logger of a context configured by the shipped file with {@code format}, or its default when null. */
    private static Logger configured(String format) throws Exception {
        LoggerContext context = new LoggerContext();
        // what slf4j's binding gives the default context; a context of one's own needs it set
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        if (format != null) {
            context.putProperty("METACLUSTER_LOG_FORMAT", format);
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(Daemon.home().resolve("conf/logback.xml").toFile());
        return context.getLogger("io.metacluster.engine.Node");
    }

    private List<String> lines() {
        return console.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void jsonIsOneObjectPerEventWithTheException() throws Exception {
        Logger log = configured("json");
        log.info("node {} of cluster {} is up", "127.0.0.1:7001", "dc1");
        log.warn("replay of node 127.0.0.1:7002 failed", new IllegalStateException("disk full\nsecond line"));

        List<String> lines = lines();
        assertThat(lines).hasSize(2);
        ObjectMapper json = new ObjectMapper();
        JsonNode up = json.readTree(lines.get(0));
        assertThat(up.path("level").asText()).isEqualTo("INFO");
        assertThat(up.path("loggerName").asText()).isEqualTo("io.metacluster.engine.Node");
        assertThat(up.path("formattedMessage").asText()).isEqualTo("node 127.0.0.1:7001 of cluster dc1 is up");
        assertThat(up.path("timestamp").asLong()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
        assertThat(up.path("throwable").isNull()).isTrue();

        JsonNode failed = json.readTree(lines.get(1));
        assertThat(failed.path("level").asText()).isEqualTo("WARN");
        JsonNode exception = failed.path("throwable");
        assertThat(exception.path("className").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(exception.path("message").asText()).isEqualTo("disk full\nsecond line");
        assertThat(exception.path("stepArray").toString()).contains("LogLayoutIT");
    }

    @Test
    void textIsTheDefault() throws Exception {
        Logger log = configured(null);
        log.warn("node 127.0.0.1:7002 of cluster dc2 is down: connection refused");
        assertThat(lines()).singleElement().asString()
                .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  \\[.*\\] i\\.m\\.engine\\.Node - node 127.0.0.1:7002 of cluster dc2 is down: connection refused");
    }
}
