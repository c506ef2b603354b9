package io.metacluster.config;

import io.metacluster.spi.ClientLimits;

/**
 * What one listener accepts from its clients. A value of 0 (or a missing key) takes the default.
 *
 * @param maxFrameBytes       largest value in a request (Redis bulk string, memcached item)
 * @param maxElements         most arguments in one request
 * @param maxInlineBytes      longest command line (Redis inline commands, memcached text commands)
 * @param maxPendingPerClient requests one client may have in flight before the daemon stops
 *                            reading from it (back-pressure, not an error)
 * @param maxClients          connections the listener accepts at once; past that a new client
 *                            gets an error and is closed
 * @param maxOutputBytes      replies one client may leave unread before it is disconnected
 *                            (a client that never reads must not hold the daemon's memory)
 * @param idleTimeoutMs       close a client connection after this long with no request and
 *                            nothing in flight; 0 (the default) never
 * @param maxTotalOutputBytes replies all clients of the listener together may leave unread; past
 *                            it the clients with the most unread output are disconnected, as
 *                            Redis's {@code client-output-buffer-limit} does (default: a quarter
 *                            of the JVM's maximum heap, which also bounds its direct buffers)
 */
public record LimitsConfig(long maxFrameBytes, int maxElements, int maxInlineBytes,
                           int maxPendingPerClient, int maxClients, long maxOutputBytes, long idleTimeoutMs,
                           long maxTotalOutputBytes) {
    public static final LimitsConfig DEFAULTS = new LimitsConfig(0, 0, 0, 0, 0, 0, 0, 0);

    public LimitsConfig {
        maxFrameBytes = maxFrameBytes == 0 ? ClientLimits.DEFAULTS.maxFrameBytes() : maxFrameBytes;
        maxElements = BackendConfig.orDefault(maxElements, ClientLimits.DEFAULTS.maxElements());
        maxInlineBytes = BackendConfig.orDefault(maxInlineBytes, ClientLimits.DEFAULTS.maxInlineBytes());
        maxPendingPerClient = BackendConfig.orDefault(maxPendingPerClient, 1024);
        maxClients = BackendConfig.orDefault(maxClients, 10_000);
        maxOutputBytes = maxOutputBytes == 0 ? 64L * 1024 * 1024 : maxOutputBytes;
        maxTotalOutputBytes = maxTotalOutputBytes == 0 ? Runtime.getRuntime().maxMemory() / 4 : maxTotalOutputBytes;
    }

    /** What the codecs of the listener's clients enforce; {@code authRequired} when the listener has {@code auth}. */
    public ClientLimits clientLimits(boolean authRequired) {
        return new ClientLimits(maxFrameBytes, maxElements, maxInlineBytes, authRequired);
    }
}
