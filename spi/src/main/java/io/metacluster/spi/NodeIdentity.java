package io.metacluster.spi;

/**
 * Which process a node is: learnt on every backend connection ({@link NodeSync#identity}). Two
 * connections that learn different identities of one node reached two different processes: the
 * node was restarted in between and may have lost its data.
 *
 * @param id            unique per process start (Redis {@code run_id}; memcached {@code pid} and
 *                      start time); compared for equality only
 * @param uptimeSeconds how long the process has been up, for log lines
 */
public record NodeIdentity(String id, long uptimeSeconds) {
}
