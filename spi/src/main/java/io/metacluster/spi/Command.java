package io.metacluster.spi;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/**
 * One client request frame, as a protocol's {@link ClientCodec} decoded it.
 *
 * <p>The frame is the exact bytes that are forwarded to backends, normally a retained slice of
 * what the client sent (no copy). A {@code Command} owns one reference to its frame; the engine
 * calls {@link #release()} exactly once, when the request is finished. Keys are kept as
 * offset/length pairs into the frame so that routing never copies them.
 *
 * <p>Instances are confined to the event loop of the client connection that decoded them.
 */
public final class Command {
    private final ByteBuf frame;
    private final String name;
    private final CommandKind kind;
    /**
     * Most commands have one key, kept in these two fields so that they cost no array:
     * {@code keyLength0} is -1 for a keyless command, and {@code keyRanges} is only set for two keys or more.
     */
    private final int keyOffset0;
    private final int keyLength0;
    private final int[] keyRanges;
    private final Object detail;
    private final String rejection;
    private final int lane;

    private Command(ByteBuf frame, String name, CommandKind kind, int keyOffset0, int keyLength0, int[] keyRanges,
                    Object detail, String rejection, int lane) {
        this.frame = Objects.requireNonNull(frame, "frame");
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.keyOffset0 = keyOffset0;
        this.keyLength0 = keyLength0;
        this.keyRanges = keyRanges;
        this.detail = detail;
        this.rejection = rejection;
        this.lane = lane;
    }

    /**
     * A routable command.
     *
     * @param frame     the bytes to forward; ownership of one reference passes to the command
     * @param name      the command name as shown in errors and metrics (e.g. {@code GET})
     * @param kind      how it is routed
     * @param keyRanges pairs of (offset, length) of each key, offsets relative to {@code frame}'s
     *                  reader index; may be {@code null} for a keyless command
     * @param detail    anything the protocol wants back later (e.g. its command-table entry)
     */
    public static Command of(ByteBuf frame, String name, CommandKind kind, int[] keyRanges, Object detail) {
        return of(frame, name, kind, keyRanges, detail, 0);
    }

    /**
     * A routable command that needs backend connections of a given kind.
     *
     * @param lane which of the protocol's {@link Protocol#backendLanes()} kinds of backend
     *             connection carries it (memcached: text or binary, since a memcached connection
     *             speaks the protocol its first byte chose)
     */
    public static Command of(ByteBuf frame, String name, CommandKind kind, int[] keyRanges, Object detail, int lane) {
        checkRoutable(kind, lane);
        if (keyRanges == null || keyRanges.length == 0) {
            return new Command(frame, name, kind, 0, -1, null, detail, null, lane);
        }
        if (keyRanges.length % 2 != 0) {
            throw new IllegalArgumentException("keyRanges must hold (offset, length) pairs");
        }
        if (keyRanges.length == 2) {
            return new Command(frame, name, kind, keyRanges[0], keyRanges[1], null, detail, null, lane);
        }
        return new Command(frame, name, kind, keyRanges[0], keyRanges[1], keyRanges, detail, null, lane);
    }

    /**
     * A routable command with exactly one key, the common case, without an array of key ranges.
     *
     * @param keyOffset where the key starts, relative to {@code frame}'s reader index
     * @param keyLength the key's length in bytes
     */
    public static Command of(ByteBuf frame, String name, CommandKind kind, int keyOffset, int keyLength, Object detail,
                             int lane) {
        checkRoutable(kind, lane);
        if (keyOffset < 0 || keyLength < 0) {
            throw new IllegalArgumentException("negative key offset or length");
        }
        return new Command(frame, name, kind, keyOffset, keyLength, null, detail, null, lane);
    }

    private static void checkRoutable(CommandKind kind, int lane) {
        if (kind == CommandKind.UNSUPPORTED) {
            throw new IllegalArgumentException("use Command.unsupported for UNSUPPORTED commands");
        }
        if (lane < 0) {
            throw new IllegalArgumentException("lane must not be negative");
        }
    }

    /**
     * A command the proxy refuses; the client gets {@link ClientCodec#error} with {@code reason}.
     *
     * @param reason the complete error text, naming the command (e.g. "MULTI is not supported by metacluster yet")
     */
    public static Command unsupported(ByteBuf frame, String name, String reason, Object detail) {
        return new Command(frame, name, CommandKind.UNSUPPORTED, 0, -1, null, detail, Objects.requireNonNull(reason), 0);
    }

    /** The bytes to forward. Not retained for the caller: use {@code retainedDuplicate()} to keep or send them. */
    public ByteBuf frame() {
        return frame;
    }

    public String name() {
        return name;
    }

    public CommandKind kind() {
        return kind;
    }

    public int keyCount() {
        return keyRanges != null ? keyRanges.length / 2 : keyLength0 < 0 ? 0 : 1;
    }

    /** Where key {@code i} starts, relative to the frame's reader index. */
    public int keyOffset(int i) {
        if (keyRanges != null) {
            return keyRanges[2 * i];
        }
        checkSingleKey(i);
        return keyOffset0;
    }

    /** The length of key {@code i} in bytes. */
    public int keyLength(int i) {
        if (keyRanges != null) {
            return keyRanges[2 * i + 1];
        }
        checkSingleKey(i);
        return keyLength0;
    }

    private void checkSingleKey(int i) {
        if (i != 0 || keyLength0 < 0) {
            throw new IndexOutOfBoundsException("key " + i + " of " + keyCount());
        }
    }

    /** Key {@code i} as a slice of the frame: valid only while the command is, not retained. */
    public ByteBuf key(int i) {
        return frame.slice(frame.readerIndex() + keyOffset(i), keyLength(i));
    }

    /** Which kind of backend connection carries it; see {@link Protocol#backendLanes()}. */
    public int lane() {
        return lane;
    }

    /** What the protocol attached when it decoded the command, or {@code null}. */
    public Object detail() {
        return detail;
    }

    /** For {@link CommandKind#UNSUPPORTED}: the error text to answer with; otherwise {@code null}. */
    public String rejection() {
        return rejection;
    }

    /**
     * Keeps the command (its frame) alive beyond the engine's own use, e.g. for a background
     * verification. Every {@code retain()} must be matched by one {@link #release()}.
     */
    public Command retain() {
        frame.retain();
        return this;
    }

    /** Releases one reference to the frame. The engine releases its own when the request is finished. */
    public void release() {
        frame.release();
    }

    @Override
    public String toString() {
        return name + "(" + kind + ", " + frame.readableBytes() + " bytes, " + keyCount() + " keys)";
    }
}
