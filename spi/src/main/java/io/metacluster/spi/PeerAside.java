package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * An {@link CommandKind#ASIDE} command that acts on another client connection of the listener
 * through the backend connection that client is pinned to (Redis {@code CLIENT UNBLOCK id}: the
 * server unblocks that connection, and the blocked command's reply reaches the client the usual
 * way). Handed out by {@link ClientCodec#peerAside}. The engine finds the client by
 * {@link #client()}; when it is in a conversation ({@link Pinning#conversation}) whose
 * connection said who it is ({@link Pinning#identify}), the engine sends {@link #request} to that
 * connection's node on a connection of its own and answers with the node's reply; otherwise it
 * answers with {@link #unpinned}.
 *
 * <p>Contract: immutable, so any thread may read it; the buffers it makes are the caller's.
 */
public interface PeerAside {
    /** The client acted on: its {@link ClientContext#id()}. */
    long client();

    /** The request for the node, naming the pinned connection by the number {@link Pinning#identity} read. */
    ByteBuf request(long connectionIdentity, ByteBufAllocator alloc);

    /** The answer when that client has no identified pinned connection (Redis: {@code :0}, no such blocked client). */
    ByteBuf unpinned(ByteBufAllocator alloc);
}
