package io.metacluster.spi;

/**
 * The limits a {@link ClientCodec} enforces while decoding client requests. Violations are
 * reported by throwing {@link ProtocolException} with a message that names the limit.
 *
 * @param maxFrameBytes    largest request frame (the value of a Redis bulk string, a memcached item), in bytes
 * @param maxElements      most elements in one multi-bulk request (Redis) or keys in one request
 * @param maxInlineBytes   longest command line without its payload (Redis inline commands, memcached text lines)
 */
public record ClientLimits(long maxFrameBytes, int maxElements, int maxInlineBytes) {
    public static final ClientLimits DEFAULTS = new ClientLimits(64L * 1024 * 1024, 1024 * 1024, 64 * 1024);
}
