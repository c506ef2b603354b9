package io.metacluster.redis.cluster;

/**
 * The {@code topology-options} of {@code topology: redis-cluster}.
 *
 * @param refreshMs how often the slot map is read again (besides soon after a {@code MOVED}); 0 = 5000
 * @param timeoutMs connect and reply timeout of a slot map query; 0 = 2000
 */
public record RedisClusterOptions(int refreshMs, int timeoutMs) {
    public RedisClusterOptions {
        if (refreshMs < 0 || timeoutMs < 0) {
            throw new IllegalArgumentException("refresh-ms and timeout-ms must be 0 or more");
        }
        refreshMs = refreshMs == 0 ? 5000 : refreshMs;
        timeoutMs = timeoutMs == 0 ? 2000 : timeoutMs;
    }
}
