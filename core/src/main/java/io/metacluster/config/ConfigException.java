package io.metacluster.config;

/** A configuration the daemon refuses to start with. The message names the file, line and field. */
public class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    /** {@code cause}: what a plugin threw, kept for a debug log, never shown in the message itself. */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
