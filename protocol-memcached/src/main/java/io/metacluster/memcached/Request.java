package io.metacluster.memcached;

/**
 * What the memcached codecs remember of one decoded request, carried as its
 * {@link io.metacluster.spi.Command#detail()}. Immutable.
 *
 * @param shape  how the backend's reply is framed
 * @param quiet  which replies the client does not see
 * @param opcode binary: the opcode the client sent (a quiet one is forwarded as its loud twin and
 *               restored in the reply); -1 for text
 * @param opaque binary: the client's opaque, echoed in replies the proxy renders itself
 * @param status binary: the status the proxy answers a refused request with; 0 otherwise
 * @param tooLarge the delete that stands for a store refused for its size: the client sees the
 *                 size error instead of its reply ({@link TooLarge})
 */
record Request(ReplyShape shape, Quiet quiet, int opcode, int opaque, int status, boolean tooLarge) {

    /** Every text request is one of these few: shared, so that decoding one allocates no detail. */
    private static final Request[][] TEXT = new Request[ReplyShape.values().length][Quiet.values().length];

    static {
        for (ReplyShape shape : ReplyShape.values()) {
            for (Quiet quiet : Quiet.values()) {
                TEXT[shape.ordinal()][quiet.ordinal()] = new Request(shape, quiet, -1, 0, 0, false);
            }
        }
    }

    static Request text(ReplyShape shape, Quiet quiet) {
        return TEXT[shape.ordinal()][quiet.ordinal()];
    }

    static final Request LINE = text(ReplyShape.LINE, Quiet.NONE);
    static final Request VALUES = text(ReplyShape.VALUES, Quiet.NONE);
    static final Request META = text(ReplyShape.META, Quiet.NONE);
    static final Request NOREPLY = text(ReplyShape.LINE, Quiet.NOREPLY);
    static final Request STATS = text(ReplyShape.STATS, Quiet.NONE);

    static Request binary(int opcode, int opaque, Quiet quiet, int status) {
        ReplyShape shape = opcode == BinaryOpcode.STAT.code ? ReplyShape.BINARY_STATS : ReplyShape.BINARY;
        return new Request(shape, quiet, opcode, opaque, status, false);
    }

    /** See {@link TooLarge#text}. */
    static Request tooLarge(ReplyShape shape, Quiet quiet) {
        return new Request(shape, quiet, -1, 0, 0, true);
    }

    /** See {@link TooLarge#binary}: {@code opcode} is the client's Set or SetQ. */
    static Request tooLargeBinary(int opcode, int opaque) {
        return new Request(ReplyShape.BINARY, Quiet.NONE, opcode, opaque, BinaryPacket.STATUS_VALUE_TOO_LARGE, true);
    }

    boolean binary() {
        return shape.binary();
    }
}
