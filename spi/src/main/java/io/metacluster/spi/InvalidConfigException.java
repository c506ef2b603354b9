package io.metacluster.spi;

/**
 * An extension's refusal of its configuration, thrown by {@link StrategyFactory#validate}. The
 * daemon does not start (and {@code --check} fails, exit code 2) with the message, which is
 * prefixed with the config file, the line and the path of the offending key, like every other
 * config error. The message is shown to an operator as is: one line, no secrets.
 */
public class InvalidConfigException extends Exception {
    private final String field;

    /** A refusal of the extension's block as a whole (reported at the key that names the extension). */
    public InvalidConfigException(String message) {
        this(null, message);
    }

    /**
     * A refusal of one key of the extension's block.
     *
     * @param field the key as written in the YAML (kebab-case), e.g. {@code cluster}
     */
    public InvalidConfigException(String field, String message) {
        super(message, null, false, false);
        this.field = field;
    }

    /** The key of the block that is refused, or {@code null} for the block as a whole. */
    public String field() {
        return field;
    }
}
