package io.metacluster.memcached;

/**
 * How a backend's reply to one request is framed. Text replies cannot be split without knowing
 * the request ({@code VALUE} blocks versus one line), so the request decoder decides this.
 */
enum ReplyShape {
    /** One line: storage, delete, incr/decr, touch, flush_all, me, and every error line. */
    LINE,
    /** get/gets/gat/gats: {@code VALUE <key> <flags> <bytes> [<cas>]} blocks, then {@code END}. */
    VALUES,
    /** A meta reply: one line, or {@code VA <size> <flags>*} followed by a data block. */
    META,
    /** A binary response: 24-byte header plus its body. */
    BINARY,
    /**
     * {@code stats [group]}: {@code STAT} (or, for dumps, {@code ITEM}/{@code PREFIX}) lines up to the
     * first other line, {@code END} or a one-line answer ({@code RESET}, {@code OK}, an error).
     */
    STATS,
    /** Binary Stat: responses up to one without a key (the end, or an error). */
    BINARY_STATS;

    /** Whether the reply is in the binary protocol. */
    boolean binary() {
        return this == BINARY || this == BINARY_STATS;
    }
}
