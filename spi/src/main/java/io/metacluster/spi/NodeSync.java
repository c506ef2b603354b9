package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;

/**
 * How the engine tells a restarted node and refills one from another cluster, for a protocol
 * that can ({@link Protocol#nodeSync()}). Stateless and shared by every thread.
 *
 * <p>Identity: right after its handshake, every backend connection of the first lane sends
 * {@link #identityRequest} and reads its reply with {@link #identityReplyLength} and
 * {@link #identity}, before it takes traffic. A node whose identity changed since the last
 * connection was restarted: it is kept out of reads (still written to) until resynchronised.
 *
 * <p>Copy: {@link #copy} runs on a thread of its own, blocking, over {@link NodeLink}s. The
 * engine chooses the source cluster, runs one copy per source node and decides per key
 * ({@link KeyCopy#wants}); the protocol walks the keys and writes them with their values,
 * flags and expiry.
 */
public interface NodeSync {

    /** The request that asks a node who it is (Redis {@code INFO server}, memcached {@code stats}); the caller owns it. */
    ByteBuf identityRequest(ByteBufAllocator alloc);

    /**
     * The length of the complete reply to {@link #identityRequest} at {@code in}'s reader index,
     * consuming nothing; -1 when incomplete.
     *
     * @throws ProtocolException when the bytes cannot be that reply
     */
    int identityReplyLength(ByteBuf in) throws ProtocolException;

    /**
     * The identity in that reply.
     *
     * @param reply borrowed, exactly the reply's bytes
     * @return {@code null} when the node does not say (an error reply: the command is disabled or
     *         renamed); such a node is never seen as restarted, and its connection is still used
     * @throws ProtocolException when the reply is unreadable: the connection is closed
     */
    NodeIdentity identity(ByteBuf reply) throws ProtocolException;

    /**
     * Copies every key of {@code copy}'s source node that {@link KeyCopy#wants} to its target,
     * calling {@link KeyCopy#copied} as it goes. Returns when the source's keys were all walked;
     * keys written to the source meanwhile may or may not be seen (they reach the target through
     * the proxy anyway).
     *
     * @throws IOException          when a link breaks or a node refuses a request; the engine
     *                              starts the resync over later
     * @throws InterruptedException when stopped
     */
    void copy(KeyCopy copy) throws IOException, InterruptedException;
}
