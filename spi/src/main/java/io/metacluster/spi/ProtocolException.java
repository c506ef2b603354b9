package io.metacluster.spi;

/**
 * Thrown by a codec for input that breaks the protocol or a configured limit.
 *
 * <p>The engine answers the client with {@link ClientCodec#error} carrying this message (for a
 * backend: fails the connection) and then closes the connection, because a stream whose framing
 * is lost cannot be resynchronised. The message is sent to the client as is, so it must be
 * short, single-line and free of secrets.
 */
public class ProtocolException extends Exception {
    public ProtocolException(String message) {
        super(message, null, false, false);
    }
}
