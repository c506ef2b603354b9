package io.metacluster.spi;

/**
 * The limits a {@link ClientCodec} enforces while decoding client requests. Violations are
 * reported by throwing {@link ProtocolException} with a message that names the limit.
 *
 * @param maxFrameBytes    largest request frame (the value of a Redis bulk string, a memcached item), in bytes
 * @param maxElements      most elements in one multi-bulk request (Redis) or keys in one request
 * @param maxInlineBytes   longest command line without its payload (Redis inline commands, memcached text lines)
 * @param authRequired     the listener makes its clients authenticate: until a client has (the codec
 *                         sees it in {@link ClientContext#authenticated()} when it answers), the codec
 *                         refuses what only an authenticated client needs, as the servers do (Redis:
 *                         more than 10 arguments, a bulk over 16 KiB), so that a stranger cannot make
 *                         the daemon buffer {@code maxFrameBytes}
 */
public record ClientLimits(long maxFrameBytes, int maxElements, int maxInlineBytes, boolean authRequired) {
    public static final ClientLimits DEFAULTS = new ClientLimits(64L * 1024 * 1024, 1024 * 1024, 64 * 1024);

    /** Limits of a listener that does not make its clients authenticate. */
    public ClientLimits(long maxFrameBytes, int maxElements, int maxInlineBytes) {
        this(maxFrameBytes, maxElements, maxInlineBytes, false);
    }
}
