package io.metacluster.memcached;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What the proxy answers {@code version} with. Immutable, thread-safe. */
final class ProxyInfo {
    /**
     * What {@code version} answers: a memcached 1.6 version (clients use it to decide that meta
     * commands exist) tagged with the proxy's own, e.g. {@code 1.6.0-metacluster-0.1.0}.
     */
    static final String VERSION = "1.6.0-metacluster-" + projectVersion();

    private ProxyInfo() {
    }

    private static String projectVersion() {
        try (InputStream in = ProxyInfo.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "dev");
            return version.startsWith("${") ? "dev" : version;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
