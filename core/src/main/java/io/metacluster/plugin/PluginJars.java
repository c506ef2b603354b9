package io.metacluster.plugin;

import org.pf4j.VersionManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * What the host checks in the jars of a plugins folder before PF4J loads them, so that a bad jar
 * is refused with one line naming it instead of being dropped, half-loaded or reported as a PF4J
 * stack trace: a manifest without {@code Plugin-Id} or {@code Plugin-Version}, two jars with one
 * id (an upgrade dropped beside the old jar), the SPI's classes bundled inside the jar, a
 * {@code Plugin-Dependencies} target that is not there, a {@code Plugin-Requires} this SPI does
 * not satisfy, a jar without the extension index PF4J's annotation processor writes (without it
 * the plugin loads and provides nothing).
 */
final class PluginJars {
    /** One plugin jar as its manifest describes it. */
    record Jar(Path path, String id, String version, String requires, List<String> dependencies) {
        String describe() {
            return path.getFileName() + (id == null ? "" : " (plugin " + id + ")");
        }
    }

    private PluginJars() {
    }

    /**
     * The jars of {@code dir}, checked against each other and against {@code spiVersion}.
     *
     * @throws IllegalStateException naming every bad jar and what is wrong with it, one per line
     */
    static List<Jar> check(Path dir, String spiVersion, VersionManager versions) {
        List<String> problems = new ArrayList<>();
        List<Jar> jars = read(dir, spiVersion, versions, problems);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("\n  ", problems));
        }
        return jars;
    }

    /** The jars of {@code dir} whose manifest could be read; what is wrong with any jar is added to {@code problems}. */
    static List<Jar> read(Path dir, String spiVersion, VersionManager versions, List<String> problems) {
        List<Jar> jars = new ArrayList<>();
        for (Path path : jarsIn(dir)) {
            Jar jar = read(path, problems);
            if (jar != null) {
                jars.add(jar);
            }
        }
        Map<String, Jar> byId = new LinkedHashMap<>();
        for (Jar jar : jars) {
            Jar other = byId.putIfAbsent(jar.id(), jar);
            if (other != null) {
                problems.add(other.path().getFileName() + " and " + jar.path().getFileName() + " both have Plugin-Id '"
                        + jar.id() + "': keep one (a new version replaces the old jar, it cannot sit beside it)");
            }
        }
        for (Jar jar : jars) {
            if (jar.requires() != null && !jar.requires().isBlank() && !versions.checkVersionConstraint(spiVersion, jar.requires())) {
                problems.add(jar.describe() + " has Plugin-Requires '" + jar.requires() + "', which this daemon's SPI "
                        + spiVersion + " does not satisfy: use a build of the plugin made for SPI " + spiVersion);
            }
            for (String dependency : jar.dependencies()) {
                boolean optional = dependency.endsWith("?");
                String id = dependency.replaceAll("[?@].*$", "").trim();
                if (!optional && !id.isEmpty() && !byId.containsKey(id)) {
                    problems.add(jar.describe() + " depends on plugin '" + id + "' (Plugin-Dependencies), which is not in " + dir);
                }
            }
        }
        return jars;
    }

    private static List<Path> jarsIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list plugins folder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Jar read(Path path, List<String> problems) {
        try (JarFile file = new JarFile(path.toFile())) {
            Attributes manifest = file.getManifest() == null ? new Attributes() : file.getManifest().getMainAttributes();
            String id = blankToNull(manifest.getValue("Plugin-Id"));
            String version = blankToNull(manifest.getValue("Plugin-Version"));
            if (id == null || version == null) {
                problems.add(path.getFileName() + " has no " + (id == null ? "Plugin-Id" : "Plugin-Version")
                        + " in META-INF/MANIFEST.MF: every plugin jar needs Plugin-Id and Plugin-Version");
                return null;
            }
            if (file.getEntry("META-INF/extensions.idx") == null) {
                problems.add(path.getFileName() + " (plugin " + id + ") has no META-INF/extensions.idx, so it provides nothing:"
                        + " PF4J's annotation processor must run when it is compiled (see plugins/README.md)");
            }
            if (file.stream().anyMatch(entry -> entry.getName().startsWith("io/metacluster/spi/"))) {
                problems.add(path.getFileName() + " (plugin " + id + ") bundles the SPI's classes (io/metacluster/spi/):"
                        + " make metacluster-spi a provided dependency, the daemon has its own");
            }
            String dependencies = manifest.getValue("Plugin-Dependencies");
            List<String> ids = dependencies == null || dependencies.isBlank() ? List.of()
                    : Stream.of(dependencies.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            return new Jar(path, id, version, manifest.getValue("Plugin-Requires"), ids);
        } catch (IOException e) {
            problems.add(path.getFileName() + " cannot be read as a jar: " + e.getMessage());
            return null;
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
