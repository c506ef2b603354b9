package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A protocol's way of serving a multi-key command (memcached multi-get, Redis {@code MGET},
 * {@code DEL}, {@code MSET}) from a sharded cluster whose nodes each hold some of its keys: the
 * engine asks for one {@link #part} per node, sends each to its node, and once every part is
 * answered without an error, {@link #join}s the replies into the one the whole command would
 * have had. A split write is not atomic across the nodes. A command that fails a part is not
 * joined: the engine answers it with that error.
 *
 * <p>Handed out by {@link ClientCodec#splitter()}. <b>Threads:</b> called on the client
 * connection's event loop, must not block; an implementation without state may be shared by
 * every connection.
 */
public interface CommandSplitter {

    /**
     * The same request for only some of its keys, or {@code null} when this command cannot be
     * split (the cluster then cannot serve it; nothing was sent).
     *
     * @param command the whole command: borrowed, neither retained nor released here
     * @param keys    indexes into {@code command}'s keys, ascending; the part asks for these only
     * @param count   how many entries of {@code keys} are used
     * @return a new command, owned by the caller, who releases it once its reply arrived
     */
    Command part(Command command, int[] keys, int count);

    /**
     * The reply the whole {@code command} would have had, from its parts' replies.
     *
     * @param command     the whole command (borrowed)
     * @param replies     the parts' replies, in the order of {@code keysOfParts}; ownership passes
     *                    to this method, which releases them (or hands them on in its result)
     * @param keysOfParts for each part, the key indexes it asked for
     * @return the joined reply, owned by the caller (written to the client)
     */
    ByteBuf join(Command command, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc);
}
