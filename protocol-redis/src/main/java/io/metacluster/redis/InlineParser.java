package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses an inline request: one line of space-separated words, as typed into telnet or
 * {@code redis-cli} without RESP, with Redis's quoting rules. The words are re-encoded as a
 * multibulk frame (a small copy; inline requests are rare and interactive), so that backends
 * always see multibulk and quoting is resolved once, here.
 *
 * <p>Stateless apart from the limits; confined to the connection's event loop.
 */
final class InlineParser {
    private final ClientLimits limits;

    InlineParser(ClientLimits limits) {
        this.limits = limits;
    }

    /**
     * The inline request at {@code start}, consumed, as a new multibulk frame (owned by the
     * caller) whose arguments are recorded in {@code args}; or {@code null}, having consumed a
     * blank line, or nothing when the line is not complete yet.
     */
    ByteBuf parse(ByteBuf in, int start, RequestArgs args) throws ProtocolException {
        int end = in.writerIndex();
        int scanEnd = (int) Math.min(end, (long) start + limits.maxInlineBytes() + 2);
        int lf = in.indexOf(start, scanEnd, (byte) '\n');
        if (lf < 0) {
            if (end - start > limits.maxInlineBytes() + 1) { // the CR of a line of exactly the limit may come without its LF
                throw new ProtocolException("Protocol error: too big inline request");
            }
            return null;
        }
        int lineEnd = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        byte[] line = new byte[lineEnd - start];
        in.getBytes(start, line);
        List<byte[]> words = splitArgs(line);
        if (words == null) {
            throw new ProtocolException("Protocol error: unbalanced quotes in request");
        }
        if (words.size() > limits.maxElements()) {
            throw new ProtocolException("Protocol error: invalid multibulk length");
        }
        in.skipBytes(lf + 1 - start);
        if (words.isEmpty()) {
            return null;
        }
        ByteBuf frame = in.alloc().buffer(line.length + 16 * words.size());
        RespWriter.arrayHeader(frame, words.size());
        for (int i = 0; i < words.size(); i++) {
            byte[] word = words.get(i);
            args.set(i, RespWriter.bulk(frame, word), word.length);
        }
        args.count(words.size());
        return frame;
    }

    /** Redis's sdssplitargs: words, "double quotes" with escapes, 'single quotes'; {@code null} when unbalanced. */
    static List<byte[]> splitArgs(byte[] line) {
        List<byte[]> words = new ArrayList<>();
        int p = 0;
        int n = line.length;
        while (true) {
            while (p < n && isSpace(line[p])) {
                p++;
            }
            if (p >= n || line[p] == 0) {
                return words;
            }
            ByteArrayOutputStream word = new ByteArrayOutputStream();
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            while (!done) {
                int c = p < n ? line[p] : 0;
                int next = p + 1 < n ? line[p + 1] : 0;
                if (inDouble) {
                    if (c == '\\' && next == 'x' && p + 3 < n && hex(line[p + 2]) >= 0 && hex(line[p + 3]) >= 0) {
                        word.write(hex(line[p + 2]) * 16 + hex(line[p + 3]));
                        p += 3;
                    } else if (c == '\\' && next != 0) {
                        p++;
                        word.write(switch (next) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> next;
                        });
                    } else if (c == '"') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null; // closing quote must be followed by a space or nothing
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        word.write(c);
                    }
                } else if (inSingle) {
                    if (c == '\\' && next == '\'') {
                        p++;
                        word.write('\'');
                    } else if (c == '\'') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        word.write(c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDouble = true;
                        case '\'' -> inSingle = true;
                        default -> word.write(c);
                    }
                }
                if (p < n && line[p] != 0) {
                    p++;
                }
            }
            words.add(word.toByteArray());
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
    }

    private static int hex(byte b) {
        return Character.digit(b, 16);
    }
}
