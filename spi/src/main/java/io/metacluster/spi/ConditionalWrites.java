package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * How a protocol brings every cluster to the state of a {@link CommandKind#CONDITIONAL_WRITE}
 * that one cluster decided (memcached {@code cas}: a cas unique only means something on the
 * cluster that issued it; Redis {@code PUBLISH}: the receiver count is that of one cluster).
 * The engine sends the conditional write to the cluster that serves the client's reads; when
 * that cluster's reply is not an error, it asks {@link #propagation} for the unconditional write
 * and sends it to every other cluster in the background, before the client's later writes.
 *
 * <p>Handed out by {@link ClientCodec#conditionalWrites()}. <b>Threads:</b> called on the client
 * connection's event loop, must not block; an implementation without state may be shared by
 * every connection.
 */
public interface ConditionalWrites {

    /**
     * The unconditional write that repeats {@code command}'s effect on the other clusters
     * (memcached: the {@code cas}'s value as a plain {@code set} with the same flags and exptime),
     * or {@code null} when there is nothing to propagate (the reply says it was not applied).
     *
     * @param command the conditional write (borrowed)
     * @param reply   the serving cluster's reply (borrowed: neither retained nor released here)
     * @return a new command, owned by the engine, which releases it once every cluster answered
     */
    Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc);

    /**
     * Whether {@code propagation} (from {@link #propagation}) goes to the cluster that served the
     * conditional write too, not only to the others: when it sets what the serving cluster chose
     * on its own and no reply shows (Redis XREADGROUP: the delivery time of the entries it handed
     * out), so that every cluster ends with the proxy's choice. It must then be harmless to
     * repeat there. {@code propagation} is borrowed. By default, false.
     */
    default boolean alsoToServer(Command propagation) {
        return false;
    }
}
