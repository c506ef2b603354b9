package io.metacluster.spi;

/** How the engine routes a {@link Command}. */
public enum CommandKind {
    /** Served by one cluster, chosen by the listener's {@link ReadSelector}. */
    READ,
    /** Sent to every cluster of the listener; the {@link WritePolicy} decides when the client is answered. */
    WRITE,
    /** Answered by the proxy itself through {@link ClientCodec#answer}; never reaches a backend. */
    ADMIN,
    /** Answered with an error naming the command ({@link Command#rejection()}); never reaches a backend. */
    UNSUPPORTED
}
