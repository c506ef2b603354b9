package io.metacluster.e2e;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module boundaries, checked on the jars the distribution ships: a plugin sees the SPI and
 * nothing of the engine, and the SPI depends on nothing of the engine nor on more libraries than
 * its types need. A plugin that reached into the engine would compile in the reactor only by
 * accident of the classpath; this is what keeps third-party plugins possible.
 */
class ModuleBoundariesIT {
    private static final String[] ENGINE = {"io.metacluster.engine..", "io.metacluster.config..", "io.metacluster.plugin.."};

    private static JavaClasses importJars(List<Path> jars) throws IOException {
        assertThat(jars).isNotEmpty();
        JarFile[] files = new JarFile[jars.size()];
        try {
            for (int i = 0; i < files.length; i++) {
                files[i] = new JarFile(jars.get(i).toFile());
            }
            return new ClassFileImporter().importJars(files);
        } finally {
            for (JarFile file : files) {
                if (file != null) {
                    file.close();
                }
            }
        }
    }

    private static List<Path> jars(Path dir, String glob) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName())).sorted().toList();
        }
    }

    private static JavaClasses plugins() throws IOException {
        List<Path> jars = jars(Daemon.home().resolve("plugins"), "*.jar");
        assertThat(jars).extracting(p -> p.getFileName().toString())
                .contains("redis.jar", "memcached.jar", "locality.jar", "verify.jar");
        return importJars(jars);
    }

    private static JavaClasses spi() throws IOException {
        return importJars(jars(Daemon.home().resolve("lib"), "metacluster-spi-*.jar"));
    }

    @Test
    void pluginsUseTheSpiAndNothingOfTheEngine() throws IOException {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(ENGINE)
                .because("plugins compile against metacluster-spi only").check(plugins());
    }

    @Test
    void pluginJarsDoNotBundleTheSpi() throws IOException {
        noClasses().should().resideInAPackage("io.metacluster.spi..")
                .because("the host's SPI classes must be the only ones, or PF4J sees two class loaders' types")
                .check(plugins());
    }

    @Test
    void theEngineIsBuiltFromThePlanAndNeverParsesConfig() throws IOException {
        JavaClasses core = importJars(jars(Daemon.home().resolve("lib"), "metacluster-core-*.jar"));
        noClasses().that().resideInAPackage("io.metacluster.engine..")
                .should().dependOnClassesThat().haveSimpleNameEndingWith("ConfigLoader")
                .orShould().dependOnClassesThat().haveSimpleNameEndingWith("PlanResolver")
                .orShould().dependOnClassesThat().resideInAnyPackage("com.fasterxml.jackson..", "org.yaml..")
                .because("the YAML is resolved once, into a Plan, before the engine starts").check(core);
    }

    @Test
    void theSpiKnowsNothingOfTheEngine() throws IOException {
        JavaClasses spi = spi();
        assertThat(spi).isNotEmpty();
        noClasses().should().dependOnClassesThat().resideInAnyPackage(ENGINE).check(spi);
        classes().should().onlyDependOnClassesThat().resideInAnyPackage(
                        "io.metacluster.spi..", "java..", "io.netty.buffer..", "io.netty.util..", "org.pf4j..")
                .because("what the SPI exposes is what every plugin author must learn: buffers, PF4J's marker, our own types")
                .check(spi);
    }

    /** A class that outgrows this holds more than one idea: split it where the ideas part. */
    @Test
    void noProductionSourceFileIsOver480Lines() throws IOException {
        Path root = Path.of(System.getProperty("metacluster.sources", ".."));
        List<String> tooLong;
        try (Stream<Path> files = Files.walk(root)) {
            tooLong = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/"))
                    .filter(p -> !p.startsWith(root.resolve("bench")))
                    .filter(p -> lines(p) > 480).map(p -> root.relativize(p) + ": " + lines(p)).toList();
        }
        assertThat(tooLong).isEmpty();
    }

    private static long lines(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
