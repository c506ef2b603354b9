package io.metacluster.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.nio.file.Path;

/**
 * Outage replay: writes a node misses while it is down are kept, in order, and sent to it when it
 * is back, before it serves reads again.
 *
 * @param dir        folder of the append-only replay files (one per node), so that a daemon
 *                   restart does not lose them; default {@code data/replay} of the install;
 *                   relative paths are taken from the working directory; empty = memory only
 * @param maxEntries most writes kept per node
 * @param maxBytes   most bytes of writes kept per node
 * @param onOverflow what happens to a node whose log overflowed
 */
public record ReplayConfig(String dir, long maxEntries, long maxBytes, OnOverflow onOverflow) {
    public static final ReplayConfig DEFAULTS = new ReplayConfig(null, 0, 0, null);

    public enum OnOverflow {
        /** When the node is reachable, flush it (it refills as a cache) and take it back into rotation. */
        @JsonProperty("flush") FLUSH,
        /**
         * Keep it out of read rotation (it still gets every write) until an operator resynchronises
         * it and deletes its {@code .overflowed} marker in the replay folder, then restarts the daemon.
         */
        @JsonProperty("stay-out") STAY_OUT
    }

    public ReplayConfig {
        dir = dir == null ? Path.of(System.getProperty("metacluster.home", "."), "data", "replay").toString() : dir;
        maxEntries = maxEntries == 0 ? 100_000 : maxEntries;
        maxBytes = maxBytes == 0 ? 64L * 1024 * 1024 : maxBytes;
        onOverflow = onOverflow == null ? OnOverflow.FLUSH : onOverflow;
    }
}
