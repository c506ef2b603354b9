package io.metacluster.memcached;

import io.metacluster.spi.CommandKind;

/**
 * The binary protocol's opcode table: how each request is routed, which loud opcode a quiet one
 * is forwarded as, what its quiet form hides, and which extras/key/value it must carry (the
 * checks memcached itself makes before answering "Invalid arguments"). Immutable.
 */
enum BinaryOpcode {
    GET(0x00, CommandKind.READ, 0, Key.REQUIRED, false),
    SET(0x01, CommandKind.WRITE, 8, Key.REQUIRED, true),
    ADD(0x02, CommandKind.WRITE, 8, Key.REQUIRED, true),
    REPLACE(0x03, CommandKind.WRITE, 8, Key.REQUIRED, true),
    DELETE(0x04, CommandKind.WRITE, 0, Key.REQUIRED, false),
    INCREMENT(0x05, CommandKind.WRITE, 20, Key.REQUIRED, false),
    DECREMENT(0x06, CommandKind.WRITE, 20, Key.REQUIRED, false),
    QUIT(0x07, CommandKind.ADMIN, 0, Key.NONE, false),
    /** Extras: an optional 4-byte expiration. */
    FLUSH(0x08, CommandKind.WRITE, 0, 4, Key.NONE, false),
    GETQ(0x09, GET, Quiet.BINARY_MISS),
    NOOP(0x0a, CommandKind.ADMIN, 0, Key.NONE, false),
    VERSION(0x0b, CommandKind.ADMIN, 0, Key.NONE, false),
    GETK(0x0c, CommandKind.READ, 0, Key.REQUIRED, false),
    GETKQ(0x0d, GETK, Quiet.BINARY_MISS),
    APPEND(0x0e, CommandKind.WRITE, 0, Key.REQUIRED, true),
    PREPEND(0x0f, CommandKind.WRITE, 0, Key.REQUIRED, true),
    /** The key names a stats group; none means the general figures. Asked of every node of the read cluster ({@link StatsReports}). */
    STAT(0x10, CommandKind.READ, 0, Key.OPTIONAL, false),
    SETQ(0x11, SET, Quiet.BINARY_SUCCESS),
    ADDQ(0x12, ADD, Quiet.BINARY_SUCCESS),
    REPLACEQ(0x13, REPLACE, Quiet.BINARY_SUCCESS),
    DELETEQ(0x14, DELETE, Quiet.BINARY_SUCCESS),
    INCREMENTQ(0x15, INCREMENT, Quiet.BINARY_SUCCESS),
    DECREMENTQ(0x16, DECREMENT, Quiet.BINARY_SUCCESS),
    QUITQ(0x17, CommandKind.ADMIN, 0, Key.NONE, false),
    FLUSHQ(0x18, FLUSH, Quiet.BINARY_SUCCESS),
    APPENDQ(0x19, APPEND, Quiet.BINARY_SUCCESS),
    PREPENDQ(0x1a, PREPEND, Quiet.BINARY_SUCCESS),
    VERBOSITY(0x1b, CommandKind.ADMIN, 4, Key.NONE, false),
    TOUCH(0x1c, CommandKind.WRITE, 4, Key.REQUIRED, false),
    GAT(0x1d, CommandKind.READ, 4, Key.REQUIRED, false),
    GATQ(0x1e, GAT, Quiet.BINARY_MISS),
    /**
     * SASL, answered by the proxy ({@link LocalReplies}): PLAIN against the listener's {@code auth}
     * when it has one, else "Unknown command" as memcached without {@code -S}. Any lengths are
     * accepted here ({@link #isSasl}), as memcached without SASL does; the answer checks them.
     */
    SASL_LIST_MECHS(0x20, CommandKind.ADMIN, 0, Key.OPTIONAL, true),
    SASL_AUTH(0x21, CommandKind.ADMIN, 0, Key.OPTIONAL, true),
    SASL_STEP(0x22, CommandKind.ADMIN, 0, Key.OPTIONAL, true),
    GATK(0x23, CommandKind.READ, 4, Key.REQUIRED, false),
    GATKQ(0x24, GATK, Quiet.BINARY_MISS);

    enum Key { NONE, OPTIONAL, REQUIRED }

    private static final BinaryOpcode[] BY_CODE = new BinaryOpcode[256];

    static {
        for (BinaryOpcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    final int code;
    final String commandName;
    final CommandKind kind;
    /** The opcode forwarded to backends: this one, or the loud twin of a quiet one. */
    final int forwardCode;
    final Quiet quiet;
    private final int extras;
    private final int extrasAlternative;
    private final Key key;
    private final boolean value;

    BinaryOpcode(int code, CommandKind kind, int extras, Key key, boolean value) {
        this(code, kind, extras, extras, key, value);
    }

    BinaryOpcode(int code, CommandKind kind, int extras, int extrasAlternative, Key key, boolean value) {
        this.code = code;
        this.commandName = name().toLowerCase(java.util.Locale.ROOT);
        this.kind = kind;
        this.forwardCode = code;
        this.quiet = Quiet.NONE;
        this.extras = extras;
        this.extrasAlternative = extrasAlternative;
        this.key = key;
        this.value = value;
    }

    /** A quiet opcode: checked like {@code loud}, forwarded as {@code loud}. */
    BinaryOpcode(int code, BinaryOpcode loud, Quiet quiet) {
        this.code = code;
        this.commandName = name().toLowerCase(java.util.Locale.ROOT);
        this.kind = loud.kind;
        this.forwardCode = loud.code;
        this.quiet = quiet;
        this.extras = loud.extras;
        this.extrasAlternative = loud.extrasAlternative;
        this.key = loud.key;
        this.value = loud.value;
    }

    /** The entry for {@code code}, or {@code null} for an opcode the spec does not define. */
    static BinaryOpcode of(int code) {
        return BY_CODE[code & 0xff];
    }

    /** Whether a request of this opcode may carry these lengths. */
    boolean accepts(int extrasLength, int keyLength, long valueLength) {
        boolean extrasOk = extrasLength == extras || extrasLength == extrasAlternative;
        boolean keyOk = switch (key) {
            case NONE -> keyLength == 0;
            case OPTIONAL -> true;
            case REQUIRED -> keyLength > 0;
        };
        return extrasOk && keyOk && (value || valueLength == 0);
    }

    /** The SASL opcodes: the proxy answers them, whatever their lengths. */
    boolean isSasl() {
        return this == SASL_LIST_MECHS || this == SASL_AUTH || this == SASL_STEP;
    }

    boolean isQuiet() {
        return forwardCode != code;
    }

    /** Whether memcached compares a non-zero cas in the request (which makes it a conditional write). */
    boolean takesCas() {
        return switch (of(forwardCode)) {
            case SET, ADD, REPLACE, APPEND, PREPEND, DELETE, INCREMENT, DECREMENT -> true;
            default -> false;
        };
    }

    /**
     * The opcode that repeats an applied conditional request elsewhere, with cas 0: memcached
     * treats Set, Add and Replace with a cas alike (store if the cas matches), so they become Set;
     * the others keep their loud opcode.
     */
    int propagationCode() {
        return switch (of(forwardCode)) {
            case ADD, REPLACE -> SET.code;
            default -> forwardCode;
        };
    }
}
