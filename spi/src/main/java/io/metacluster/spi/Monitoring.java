package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

/**
 * What a monitoring client (Redis {@code MONITOR}) is shown of each request that the clients of its
 * listener send: a capability of a {@link ClientCodec}, handed out by {@link ClientCodec#monitoring()}.
 *
 * <p>Contract: the engine calls {@link #describe} on the event loop of the connection that read the
 * request, with that connection's codec, for each request it admitted (authenticated, framed), in
 * the order read and before the request is routed, but only while at least one connection of the
 * listener monitors ({@link ClientContext#monitor}): a listener nobody monitors pays nothing. The
 * call must not block, must not change what the codec does with the request, and must not keep
 * the command. The line it returns is written as it is, out of line (between replies, never inside
 * one), to every monitoring connection of the listener, whatever their protocol version.
 *
 * @since SPI 0.2.3
 */
public interface Monitoring {
    /**
     * The line monitors are shown for {@code command}, read by {@code sender}, in a new buffer that
     * the engine owns from now on; {@code null} when monitors are shown nothing of it (a refused
     * request, an administrative command the protocol keeps out of sight). {@code sender} is valid
     * only during the call.
     */
    ByteBuf describe(Command command, ClientContext sender);
}
