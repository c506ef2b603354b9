package io.metacluster.spi;

/** How the engine routes a {@link Command}. */
public enum CommandKind {
    /** Served by one cluster, chosen by the listener's {@link ReadSelector}. */
    READ,
    /** Sent to every cluster of the listener; the {@link WritePolicy} decides when the client is answered. */
    WRITE,
    /**
     * A write whose outcome depends on state that only one cluster knows (memcached {@code cas}:
     * a cas unique is only meaningful on the cluster that issued it). It is sent, like a read,
     * to the cluster that serves the client's reads; when that cluster applies it,
     * {@link ConditionalWrites#propagation} gives the unconditional write that brings every other
     * cluster to the same state, and the engine sends it to them in the background.
     */
    CONDITIONAL_WRITE,
    /**
     * Needs a backend connection of the client's own (Redis pub/sub: a subscribed connection
     * receives messages it did not ask for, which a shared connection cannot carry). Once every
     * earlier request of the client is answered, the engine connects one to the cluster a read
     * would use, and from then on the connection is <em>pinned</em>: the client's requests that
     * {@link Pinning#whilePinned} lets through go to it, and everything it sends comes back
     * to the client as it arrives, until {@link Pinning#endsPinning} says the mode ended.
     */
    PINNED,
    /**
     * Sent to every node of every cluster of the listener, each time on a new connection of its
     * own that carries nothing else, then closed: for a command that must get through while the
     * shared connections wait behind a request the server is still busy with (Redis
     * {@code SCRIPT KILL}, {@code FUNCTION KILL} while a script loops). The connection says the
     * {@link BackendCodec#handshake} first, whose replies are not checked (a busy server refuses
     * some of them), then the command. The client gets the first reply that is not an error
     * ({@link BackendCodec#isError}), else the first error, else an error naming why no node
     * answered. One that {@link ClientCodec#peerAside} describes goes only to the node of another
     * client's pinned connection (Redis {@code CLIENT UNBLOCK}).
     */
    ASIDE,
    /**
     * Sent to every node of every cluster of the listener, each on a connection of its own as an
     * {@link #ASIDE} command is, for server control that must be the same everywhere (Redis
     * {@code CONFIG SET}, {@code ACL SETUSER} with {@code server-commands: all-clusters}). The
     * client gets the reply when every node answered the same bytes; otherwise an error naming the
     * clusters whose nodes answered differently from the most common reply, or not at all (a node
     * that is down is not kept for replay: server state is not data). The protocol decides it;
     * never queued in a transaction.
     */
    EVERY_NODE,
    /** Answered by the proxy itself through {@link ClientCodec#answer}; never reaches a backend. */
    ADMIN,
    /** Answered with an error naming the command ({@link Command#rejection()}); never reaches a backend. */
    UNSUPPORTED
}
