package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A protocol's reports about the server (memcached {@code stats}, Redis {@code INFO}): requests
 * that a client sends to learn what the server holds and has done, which through the proxy
 * describe the cluster that serves the client's reads, together with the proxy itself.
 *
 * <p>The engine sends a report request, as it arrived, to <em>every</em> node of the cluster the
 * listener's read selector picks (one node for a {@code single} cluster, each shard of a
 * {@code hash-ring}), and once every node answered, {@link #join}s the replies, in the cluster's
 * node order, with the {@link ProxyReport} of that moment. A node that answers with an error
 * answers the whole request with it, unjoined; a node that cannot be reached makes the engine try
 * another cluster, as for any read. Reports are not verified against other clusters and never
 * retried on a miss.
 *
 * <p>Handed out by {@link ClientCodec#reports()}. <b>Threads:</b> called on the client
 * connection's event loop, must not block; an implementation without state may be shared.
 *
 * @since SPI 0.2.2
 */
public interface ServerReports {

    /** Whether {@code command} (a {@link CommandKind#READ}) is a report request; cheap, called per read. */
    boolean isReport(Command command);

    /**
     * The reply the client sees: the nodes' replies as one (e.g. counters summed over the shards),
     * with the proxy's own figures added under names that cannot clash with the server's.
     *
     * @param command the request (borrowed)
     * @param replies one reply per node of the serving cluster, in its configured node order;
     *                ownership passes to this method, which releases them (or hands them on in its result)
     * @param proxy   the proxy's figures as the engine sees them now
     * @return the reply, owned by the caller (then shown through {@link ClientCodec#present})
     */
    ByteBuf join(Command command, ByteBuf[] replies, ProxyReport proxy, ByteBufAllocator alloc);
}
