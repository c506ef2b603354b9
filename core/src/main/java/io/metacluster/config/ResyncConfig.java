package io.metacluster.config;

/**
 * Resynchronisation: a node that was restarted (its identity changed) or that overflowed its
 * replay log is kept out of reads and refilled with a copy of every key from a healthy cluster
 * of the same listener.
 *
 * @param keysPerSecond most keys copied per second, per resync (they run one at a time)
 */
public record ResyncConfig(long keysPerSecond) {
    public static final ResyncConfig DEFAULTS = new ResyncConfig(0);

    public ResyncConfig {
        keysPerSecond = keysPerSecond == 0 ? 20_000 : keysPerSecond;
    }
}
