package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;

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
 *
 * <p>Walk: {@link #walk} lists a node's keys, for a resync and for the verifier's scrub
 * ({@link VerifyContext#walkKeys}).
 */
public interface NodeSync {

    /** Receives the keys of a {@link #walk}, a batch at a time. */
    @FunctionalInterface
    interface KeyBatches {
        /**
         * @param keys borrowed: valid during the call only (copy what is kept), neither retained nor released
         * @throws IOException          to end the walk with that failure
         * @throws InterruptedException to stop the walk
         */
        void keys(List<ByteBuf> keys) throws IOException, InterruptedException;
    }

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

    /**
     * Lists every key of the node behind {@code keys}, handing them to {@code batches} in batches
     * of a hundred to a thousand, and returns when the walk is over. {@code keys} is the walk's own: it may
     * stay busy until the end (memcached's {@code lru_crawler metadump}), so do other requests on
     * another link. A key present all along is listed at least once (Redis {@code SCAN} may list
     * one twice); keys written or deleted meanwhile may or may not be. The default cannot walk.
     *
     * @throws IOException          when the link breaks or the node refuses the walk
     * @throws InterruptedException when stopped
     * @since SPI 0.2.2
     */
    default void walk(NodeLink keys, KeyBatches batches) throws IOException, InterruptedException {
        throw new UnsupportedOperationException("this protocol cannot list a node's keys");
    }

    /**
     * Of {@code keys}, found on the node being resynchronised by a {@link #walk} of it, deletes on
     * {@code target} (another link to that node) those that {@code source} (the node of the
     * source cluster that holds them) does not hold: keys deleted while the node missed writes.
     * Only keys {@code mayDelete} accepts (not written through the proxy since the resync began),
     * and only where the target still holds what it held when looked at, server-side, so that a
     * write reaching it meanwhile is kept. The default deletes nothing and returns -1.
     *
     * @param keys borrowed
     * @return how many keys were deleted, or -1 when the protocol cannot
     * @throws IOException when a link breaks or a node refuses a request
     * @since SPI 0.2.2
     */
    default int deleteAbsent(NodeLink source, NodeLink target, List<ByteBuf> keys, Predicate<ByteBuf> mayDelete)
            throws IOException {
        return -1;
    }
}
