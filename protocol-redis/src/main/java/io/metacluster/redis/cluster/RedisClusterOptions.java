package io.metacluster.redis.cluster;

import java.util.List;

/**
 * The {@code topology-options} of {@code topology: redis-cluster}.
 *
 * @param refreshMs how often the slot map is read again (besides soon after a {@code MOVED}); 0 = 5000
 * @param timeoutMs connect and reply timeout of a slot map query; 0 = 2000
 * @param readFrom  which nodes serve a client's reads: {@code master} (the default, also when
 *                  {@code null}), {@code replica-preferred} (a replica of the slot's master that is
 *                  up, else the master) or {@code replica} (a replica that is up, else another cluster)
 */
public record RedisClusterOptions(int refreshMs, int timeoutMs, String readFrom) {
    static final String MASTER = "master";
    static final String REPLICA_PREFERRED = "replica-preferred";
    static final String REPLICA = "replica";
    private static final List<String> READ_FROM = List.of(MASTER, REPLICA_PREFERRED, REPLICA);

    public RedisClusterOptions {
        if (refreshMs < 0 || timeoutMs < 0) {
            throw new IllegalArgumentException("refresh-ms and timeout-ms must be 0 or more");
        }
        refreshMs = refreshMs == 0 ? 5000 : refreshMs;
        timeoutMs = timeoutMs == 0 ? 2000 : timeoutMs;
        readFrom = readFrom == null ? MASTER : readFrom;
        if (!READ_FROM.contains(readFrom)) {
            throw new IllegalArgumentException("read-from: unknown value '" + readFrom + "'; one of: "
                    + String.join(", ", READ_FROM));
        }
    }

    /** Reads from the master only. */
    public RedisClusterOptions(int refreshMs, int timeoutMs) {
        this(refreshMs, timeoutMs, null);
    }

    /** Whether reads may go to replicas. */
    boolean readsReplicas() {
        return !readFrom.equals(MASTER);
    }
}
