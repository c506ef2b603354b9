package io.metacluster.config;

/**
 * How the daemon talks to backend nodes. A value of 0 (or a missing key) takes the default.
 *
 * @param connectTimeoutMs   how long a TCP connect may take
 * @param requestTimeoutMs   how long the oldest request on a connection may wait for its reply
 *                           before the connection is considered broken and reconnected
 * @param connectionsPerNode connections each I/O thread keeps to each node (replies are
 *                           matched first-in first-out, so one pipelined connection is usually enough)
 * @param reconnectMinMs     first reconnect delay; doubles per failed attempt, with jitter
 * @param reconnectMaxMs     cap of the reconnect delay
 * @param suspectAfterMs     how long a node may leave a request unanswered, with nothing at all
 *                           coming from it, before it is taken for hung (capped at
 *                           {@code request-timeout-ms}): its writes in flight are recorded for
 *                           replay at once, later ones are recorded instead of sent, and it
 *                           leaves read rotation until it answers a probe. Idle connections are
 *                           probed this often. This bounds the acknowledged writes a daemon crash
 *                           can lose for a hung node.
 */
public record BackendConfig(int connectTimeoutMs, int requestTimeoutMs, int connectionsPerNode,
                            int reconnectMinMs, int reconnectMaxMs, int suspectAfterMs) {
    public static final BackendConfig DEFAULTS = new BackendConfig(0, 0, 0, 0, 0, 0);

    public BackendConfig {
        connectTimeoutMs = orDefault(connectTimeoutMs, 1000);
        requestTimeoutMs = orDefault(requestTimeoutMs, 5000);
        connectionsPerNode = orDefault(connectionsPerNode, 1);
        reconnectMinMs = orDefault(reconnectMinMs, 100);
        reconnectMaxMs = orDefault(reconnectMaxMs, 5000);
        suspectAfterMs = Math.min(orDefault(suspectAfterMs, 1000), requestTimeoutMs);
    }

    static int orDefault(int value, int fallback) {
        return value == 0 ? fallback : value;
    }
}
