package io.metacluster.redis;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The lines a Redis monitor is sent, byte for byte as redis-server 7.0 writes them
 * (replication.c, replicationFeedMonitors): {@code +<seconds>.<microseconds> [<db> <ip:port>]}
 * and each argument quoted as {@code sdscatrepr} quotes it, a status reply in RESP2 and RESP3
 * alike. Read straight from the multibulk frames the codec forwards (inline commands were
 * re-encoded as multibulk, keeping the case they were typed in). Stateless.
 */
final class MonitorLines {
    private static final byte[] REDACTED = "\"(redacted)\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** Which arguments a line shows as {@code "(redacted)"}, as Redis hides credentials. */
    enum Redaction {
        NONE,
        /** AUTH: every argument. */
        ALL,
        /** HELLO: the two arguments after its AUTH option. */
        AFTER_AUTH
    }

    private MonitorLines() {
    }

    /** One line for the command whose multibulk starts at {@code frame}'s reader index. */
    static ByteBuf line(ByteBufAllocator alloc, ByteBuf frame, int db, String address, Redaction redaction) {
        ByteBuf out = alloc.buffer(64 + frame.readableBytes());
        append(out, frame, frame.readerIndex(), db, address, redaction);
        return out;
    }

    /**
     * The lines of a forwarded transaction (MULTI, {@code commands} queued commands, EXEC), as Redis
     * shows it when EXEC runs: each queued command, then EXEC; MULTI was shown when it was sent.
     */
    static ByteBuf transaction(ByteBufAllocator alloc, ByteBuf frame, int commands, int db, String address) {
        ByteBuf out = alloc.buffer(64 * (commands + 1) + frame.readableBytes());
        int at = skip(frame, frame.readerIndex());
        for (int i = 0; i <= commands; i++) {
            at = append(out, frame, at, db, address, Redaction.NONE);
        }
        return out;
    }

    /** Appends the line of the multibulk at {@code at}; returns where the next one starts. */
    private static int append(ByteBuf out, ByteBuf frame, int at, int db, String address, Redaction redaction) {
        Instant now = Instant.now();
        out.writeByte('+');
        out.writeCharSequence(Long.toString(now.getEpochSecond()), StandardCharsets.US_ASCII);
        out.writeByte('.');
        String micros = Integer.toString(now.getNano() / 1000);
        for (int pad = micros.length(); pad < 6; pad++) {
            out.writeByte('0');
        }
        out.writeCharSequence(micros, StandardCharsets.US_ASCII);
        out.writeCharSequence(" [" + db + " " + address + "]", StandardCharsets.UTF_8);
        int cr = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
        int count = (int) RespSplitter.parseDecimal(frame, at + 1, cr);
        at = cr + 2;
        int[] starts = new int[count];
        int[] lengths = new int[count];
        for (int i = 0; i < count; i++) {
            cr = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
            lengths[i] = (int) RespSplitter.parseDecimal(frame, at + 1, cr);
            starts[i] = cr + 2;
            at = starts[i] + lengths[i] + 2;
        }
        boolean[] hidden = redacted(frame, starts, lengths, redaction);
        for (int i = 0; i < count; i++) {
            out.writeByte(' ');
            if (hidden[i]) {
                out.writeBytes(REDACTED);
            } else {
                quote(out, frame, starts[i], lengths[i]);
            }
        }
        out.writeByte('\r').writeByte('\n');
        return at;
    }

    /** Which arguments Redis 7.0 redacts: AUTH's; HELLO's AUTH pair, found as helloCommand parses its options. */
    private static boolean[] redacted(ByteBuf frame, int[] starts, int[] lengths, Redaction redaction) {
        int count = starts.length;
        boolean[] hidden = new boolean[count];
        if (redaction == Redaction.ALL) {
            for (int i = 1; i < count; i++) {
                hidden[i] = true;
            }
        } else if (redaction == Redaction.AFTER_AUTH) {
            for (int j = 2; j < count; j++) {
                int more = count - 1 - j;
                if (is(frame, starts[j], lengths[j], "auth") && more >= 2) {
                    hidden[j + 1] = true;
                    hidden[j + 2] = true;
                    j += 2;
                } else if (is(frame, starts[j], lengths[j], "setname") && more >= 1) {
                    j++;
                } else {
                    break; // HELLO fails here, before redacting anything later
                }
            }
        }
        return hidden;
    }

    /** Where the multibulk after the one at {@code at} starts. */
    private static int skip(ByteBuf frame, int at) {
        int cr = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
        int count = (int) RespSplitter.parseDecimal(frame, at + 1, cr);
        at = cr + 2;
        for (int i = 0; i < count; i++) {
            cr = frame.indexOf(at, frame.writerIndex(), (byte) '\r');
            at = cr + 2 + (int) RespSplitter.parseDecimal(frame, at + 1, cr) + 2;
        }
        return at;
    }

    /** Whether the argument is {@code word} (lower case), in any case. */
    private static boolean is(ByteBuf frame, int start, int length, String word) {
        if (length != word.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if ((frame.getByte(start + i) | 0x20) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * sdscatrepr: quoted, with C escapes for quotes, backslashes and control bytes, {@code \xhh} for
     * the rest. Escaped in an array and written at once: a value can be large, and a buffer's
     * per-byte calls are not free.
     */
    static void quote(ByteBuf out, ByteBuf in, int start, int length) {
        byte[] raw = new byte[length];
        in.getBytes(start, raw);
        byte[] quoted = new byte[4 * length + 2];
        int n = 0;
        quoted[n++] = '"';
        for (byte value : raw) {
            int b = value & 0xff;
            int escape = switch (b) {
                case '\\', '"' -> b;
                case '\n' -> 'n';
                case '\r' -> 'r';
                case '\t' -> 't';
                case 7 -> 'a';
                case '\b' -> 'b';
                default -> 0;
            };
            if (escape != 0) {
                quoted[n++] = '\\';
                quoted[n++] = (byte) escape;
            } else if (b >= 0x20 && b <= 0x7e) {
                quoted[n++] = (byte) b;
            } else {
                quoted[n++] = '\\';
                quoted[n++] = 'x';
                quoted[n++] = HEX[b >> 4];
                quoted[n++] = HEX[b & 0xf];
            }
        }
        quoted[n++] = '"';
        out.writeBytes(quoted, 0, n);
    }
}
