package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

import java.io.IOException;

/**
 * One node-to-node copy of a resync ({@link NodeSync#copy}), as the protocol sees it: where to
 * read, where to write, which keys to take and how fast. The engine's; called from the copying
 * thread only.
 */
public interface KeyCopy {
    /** One node of the healthy cluster copied from. */
    NodeLink source();

    /**
     * A second connection to the source node, for a protocol whose walk over the keys occupies
     * the first one until it ends (memcached's {@code lru_crawler metadump}). Opened on the first
     * call, closed by the engine with the others.
     *
     * @throws IOException when it cannot be opened
     */
    NodeLink secondSource() throws IOException;

    /** The node being resynchronised. */
    NodeLink target();

    /**
     * Whether {@code key} is to be copied: the target node holds it (the target cluster may be
     * sharded) and no client wrote it through the proxy since the resync began (the copy is older
     * than that write). Ask just before writing the key to the target.
     *
     * @param key borrowed: neither retained nor released, indexes unchanged
     */
    boolean wants(ByteBuf key);

    /**
     * Whether a key the target already holds must be kept rather than replaced (Redis
     * {@code RESTORE} without {@code REPLACE}, memcached {@code add}). True when the target was
     * restarted empty: whatever it holds was written through the proxy since, and is newer than
     * the copy. False when it missed writes and holds stale values (a replay-log overflow).
     */
    boolean keepExisting();

    /**
     * Counts {@code keys} copied (or skipped) and waits as long as the configured rate needs.
     *
     * @throws InterruptedException when the resync is being stopped
     */
    void copied(int keys) throws InterruptedException;
}
