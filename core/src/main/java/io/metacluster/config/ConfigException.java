package io.metacluster.config;

/** A configuration the daemon refuses to start with. The message names the file, line and field. */
public class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
