package io.metacluster.plugin;

import io.metacluster.spi.Protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of the SPI this daemon offers plugins, which a plugin's {@code Plugin-Requires}
 * must accept. It is the SPI's own version (the {@code metacluster.spi.version} property of the
 * build), not the daemon's: it changes only when the extension points change.
 */
final class SpiVersion {
    static final String CURRENT = read();

    private SpiVersion() {
    }

    private static String read() {
        try (InputStream in = Protocol.class.getResourceAsStream("/META-INF/metacluster-spi.properties")) {
            if (in == null) {
                throw new IllegalStateException("the SPI jar lacks META-INF/metacluster-spi.properties");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
