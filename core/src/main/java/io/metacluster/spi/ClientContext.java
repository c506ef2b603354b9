package io.metacluster.spi;

import io.netty.buffer.ByteBufAllocator;

/**
 * What a {@link ClientCodec} may see and do of its client connection while answering a
 * command locally. Only valid on the connection's event loop during the call.
 */
public interface ClientContext {
    /** Allocator for replies. */
    ByteBufAllocator alloc();

    /** A number unique to this connection for the life of the process (Redis {@code CLIENT ID}). */
    long id();

    /** The client's remote address as {@code host:port}. */
    String remoteAddress();

    /** The listener's name, as configured. */
    String listenerName();

    /** Close the connection once the reply of the current command (and every earlier one) is written. */
    void closeAfterReply();
}
