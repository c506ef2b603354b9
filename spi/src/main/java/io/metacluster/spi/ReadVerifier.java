package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

/**
 * Told about every read a listener served. It may sample some and compare them, in the
 * background, with another cluster through {@link VerifyContext#send}.
 *
 * <p>{@link #onRead} is called on the client's event loop just before the reply is handed to
 * the client, in the same event-loop pass (the reply is still the engine's to give away). The
 * client's reply is flushed at the end of that pass whatever the verifier does, so nothing here
 * delays a client as long as it does not block, which it must not. Shared by all event loops of
 * a listener: thread-safe.
 */
public interface ReadVerifier {

    /** A verifier that checks nothing. */
    ReadVerifier NONE = (command, servedBy, reply) -> { };

    /**
     * @param command  the read; {@link Command#retain()} it to keep it past this call
     * @param servedBy the cluster whose reply the client got
     * @param reply    that reply; {@code retain()} it to keep it past this call
     */
    void onRead(Command command, ClusterView servedBy, ByteBuf reply);
}
