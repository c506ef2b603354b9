package io.metacluster.testing;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Plugin jars built at test time as a plugin author builds them: javac with PF4J's annotation
 * processor over a source that uses the SPI, and a jar with the plugin's manifest.
 */
public final class PluginJar {
    private PluginJar() {
    }

    /**
     * Compiles {@code source}, the class {@code com.example.<cls>}, against this JVM's class path
     * (the SPI and PF4J) in a folder of {@code work}; the class files and the extension index by
     * their path in a jar.
     */
    public static Map<String, byte[]> compile(Path work, String cls, String source) throws IOException {
        Path src = Files.createDirectories(work.resolve("src-" + cls).resolve("com/example"));
        Files.writeString(src.resolve(cls + ".java"), source);
        Path out = Files.createDirectories(work.resolve("classes-" + cls));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = javac.run(null, null, errors, "-classpath", System.getProperty("java.class.path"),
                "-processor", "org.pf4j.processor.ExtensionAnnotationProcessor", "-d", out.toString(),
                src.resolve(cls + ".java").toString());
        if (status != 0) {
            throw new IllegalStateException("javac failed on " + cls + ": " + errors.toString(StandardCharsets.UTF_8));
        }
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(out)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(out.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
            }
        }
        return files;
    }

    /** The manifest entries of plugin {@code id}, version 1.0.0, for the SPI of this build. */
    public static Map<String, String> manifest(String id) {
        return Map.of("Plugin-Id", id, "Plugin-Version", "1.0.0", "Plugin-Requires", ">=0.2.0 & <0.3.0");
    }

    /** Writes the jar {@code jar} of {@code files}, with a manifest of {@code manifestEntries}. */
    public static void write(Path jar, Map<String, String> manifestEntries, Map<String, byte[]> files) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifestEntries.forEach((key, value) -> manifest.getMainAttributes().putValue(key, value));
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (Map.Entry<String, byte[]> entry : files.entrySet()) {
                out.putNextEntry(new JarEntry(entry.getKey()));
                out.write(entry.getValue());
                out.closeEntry();
            }
        }
    }
}
