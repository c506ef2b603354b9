package io.metacluster.e2e;

import io.metacluster.e2e.DifferentialIT.Difference;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * Seeded memcached scripts for {@link DifferentialIT}, text (classic and meta commands mixed, as
 * one connection may mix them) or binary (a connection's first byte decides): pipelined storage,
 * retrieval, counters, touch and delete on a few keys of the script's own, quiet forms
 * ({@code noreply}, meta {@code q}, binary quiet opcodes) with their fences, and malformed requests
 * (unknown commands, bad numbers and flags, overlong keys, bad data chunks, values over the item
 * size; in binary, unknown opcodes, bad extras, and a bad magic byte that ends the connection).
 *
 * <p>Nothing whose reply depends on the server or the clock: no cas uniques ({@code gets},
 * {@code mg c}), no TTLs read back, no stats or version. Not thread-safe; one instance per script.
 */
final class MemcachedScripts {
    private static final byte[] TEXT_QUIT = "quit\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FENCE_VALUE = "~fence~".getBytes(StandardCharsets.US_ASCII);
    private static final int FENCE_OPAQUE = 0xFE11CE00;
    private static final int MAX_KEY = 250;
    private static final int ITEM_SIZE = 1024 * 1024;

    private final Random random;
    private final String prefix;
    private final Script.Builder out = new Script.Builder();

    private MemcachedScripts(Random random, String prefix) {
        this.random = random;
        this.prefix = prefix;
    }

    /** A script on keys starting with {@code prefix}, ending in one of {@code endings}. */
    static Script generate(Random random, String prefix, List<Script.Ending> endings) {
        MemcachedScripts scripts = new MemcachedScripts(random, prefix);
        Script.Ending ending = endings.get(random.nextInt(endings.size()));
        return random.nextInt(3) == 0 ? scripts.binary(ending) : scripts.text(ending);
    }

    // ------------------------------------------------------------------ text and meta

    private Script text(Script.Ending ending) {
        for (int n = count(); n > 0; n--) {
            int roll = random.nextInt(100);
            if (roll < 60) {
                classic();
            } else if (roll < 88) {
                meta();
            } else {
                malformedText();
            }
        }
        // the fence: a value no other reply ends with, since generated values never hold '~'
        byte[] fence = ("ms " + prefix + "fence 7 q\r\n~fence~\r\nmg " + prefix + "fence v\r\n").getBytes(StandardCharsets.US_ASCII);
        return out.end(ending, TEXT_QUIT, fence, "VA 7\r\n~fence~\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private void classic() {
        String k = key();
        String noreply = random.nextInt(4) == 0 ? " noreply" : "";
        switch (random.nextInt(12)) {
            case 0, 1, 2, 3 -> {
                String value = value();
                out.text(pick("set", "set", "add", "replace", "append", "prepend") + " " + k + " " + flags() + " " + exptime()
                        + " " + value.length() + noreply + "\r\n" + value + "\r\n");
            }
            case 4, 5 -> out.text("get " + k + (random.nextBoolean() ? " " + key() + " " + key() : "") + "\r\n");
            case 6 -> out.text("gat " + pick("0", "1000") + " " + k + " " + key() + "\r\n");
            case 7 -> out.text("touch " + k + " " + exptime() + noreply + "\r\n");
            case 8 -> out.text("delete " + k + noreply + "\r\n");
            case 9 -> out.text("incr " + k + " " + delta() + noreply + "\r\n");
            case 10 -> out.text("decr " + k + " 0" + noreply + "\r\n"); // by 0: Difference.MEMCACHED_SHRINKING_COUNTER
            default -> out.text("verbosity " + random.nextInt(2) + noreply + "\r\n");
        }
    }

    private void meta() {
        boolean base64 = random.nextInt(6) == 0;
        String k = base64 ? Base64.getEncoder().encodeToString(key().getBytes(StandardCharsets.US_ASCII)) : key();
        String b = base64 ? " b" : "";
        switch (random.nextInt(10)) {
            case 0, 1, 2 -> out.text("mg " + k + b + flags("v", "k", "f", "s", "q", "O" + random.nextInt(100),
                    "N0") + "\r\n");
            case 3, 4, 5 -> {
                String value = value();
                out.text("ms " + k + " " + value.length() + b
                        + flags("q", "k", "T" + pick("0", "1000"), "F" + random.nextInt(70000), "O7", "M" + pick("S", "E", "A", "P", "R"))
                        + "\r\n" + value + "\r\n");
            }
            case 6 -> out.text("md " + k + b + flags("q", "k", "O3") + "\r\n");
            case 7, 8 -> {
                String flags = flags("N0", "J" + random.nextInt(50), "D" + random.nextInt(50), "M" + pick("I", "+"), "q",
                        "v", "k", "O5");
                if (flags.contains("N0")) { // Difference.MEMCACHED_MA_VIVIFY_QUIET
                    flags = flags.replace(" q", "");
                }
                out.text("ma " + k + b + flags + "\r\n");
            }
            default -> out.text("mn\r\n");
        }
    }

    /** Some of {@code options}, each at most once, each after a space. */
    private String flags(String... options) {
        StringBuilder s = new StringBuilder();
        for (String option : options) {
            if (random.nextInt(3) == 0) {
                s.append(' ').append(option);
            }
        }
        return s.toString();
    }

    private void malformedText() {
        String k = key();
        if (random.nextInt(60) == 0) { // a value over the item size: rare, it is a megabyte to send three times
            // memcached unlinks the old value of a set or ms refused for size, not of the others
            String command = pick("set", "set", "add", "replace", "append", "prepend", "ms");
            String size = Integer.toString(ITEM_SIZE + 1);
            out.text((command.equals("ms") ? "ms " + k + " " + size + flags("q", "MS", "T0")
                    : command + " " + k + " 0 0 " + size + (random.nextInt(4) == 0 ? " noreply" : ""))
                    + "\r\n" + "x".repeat(ITEM_SIZE + 1) + "\r\n");
            return;
        }
        switch (random.nextInt(13)) {
            case 0 -> out.text("bogus " + k + "\r\n");
            case 1 -> out.text("set " + k + " 0 0 " + pick("abc", "-1", "") + "\r\n" + (random.nextBoolean() ? "abc\r\n" : ""));
            case 2 -> out.text("set " + k + " " + pick("x", "-1", "4294967296") + " 0 1\r\na\r\n");
            case 3 -> out.text("set " + k + " 0 0 3\r\n" + pick("abcde", "a", "abc\n") + "\r\n"); // bad data chunk
            // an overlong key; not in a get: Difference.MEMCACHED_GET_ERROR_DROPS_REPLIES
            case 4 -> out.text(pick("delete ", "incr ") + prefix + "x".repeat(MAX_KEY + 1 - prefix.length()) + " 1\r\n");
            case 5 -> out.text(pick("incr ", "decr ") + k + " " + pick("abc", "-1", "18446744073709551616") + "\r\n");
            case 6 -> out.text(pick("get", "touch " + k, "incr " + k, "delete") + "\r\n");
            case 7 -> out.text("delete " + k + " " + pick("5", "0", "noreply x") + "\r\n");
            case 8 -> out.text("mg " + k + " " + pick("Z", "v v", "O" + "1".repeat(40), "!") + "\r\n");
            case 9 -> out.text("ms " + k + " " + pick("abc", "-1", "") + "\r\n");
            case 10 -> out.text("ma " + k + " " + pick("D-1", "Dx", "MZ", "N") + "\r\n");
            case 11 -> out.text(pick("\r\n", "   \r\n", "GET " + k + "\r\n", "get " + k + "\n"));
            default -> out.text("mg " + k + " b v\r\n"); // not base64
        }
    }

    // ------------------------------------------------------------------ binary

    private Script binary(Script.Ending ending) {
        for (int n = count(); n > 0; n--) {
            if (random.nextInt(10) != 0) {
                binaryRequest();
            } else if (malformedBinary()) {
                return out.endClosedByServer(ending);
            }
        }
        if (random.nextInt(15) == 0) {
            return out.raw(packet(0x0a, 0, "", "", new byte[0])).raw(new byte[]{0x42}).endClosedByServer(ending);
        }
        byte[] noop = packet(0x0a, FENCE_OPAQUE, "", "", new byte[0]);
        return out.end(ending, packet(0x07, 0, "", "", new byte[0]), noop, response(0x0a, FENCE_OPAQUE));
    }

    private void binaryRequest() {
        String k = key();
        int opaque = random.nextInt(1000);
        switch (random.nextInt(11)) {
            case 0, 1, 2 -> out.raw(packet(pick(0x01, 0x02, 0x03, 0x11, 0x12, 0x13), opaque, k, value(),
                    ByteBuffer.allocate(8).putInt(random.nextInt(3) == 0 ? random.nextInt() : 0).putInt(random.nextInt(4) == 0 ? 1000 : 0).array()));
            case 3, 4 -> out.raw(packet(pick(0x00, 0x09, 0x0c, 0x0d), opaque, k, "", new byte[0]));
            case 5 -> out.raw(packet(pick(0x0e, 0x0f, 0x19, 0x1a), opaque, k, value(), new byte[0]));
            case 6 -> out.raw(packet(pick(0x04, 0x14), opaque, k, "", new byte[0]));
            case 7 -> {
                int opcode = pick(0x05, 0x06, 0x15, 0x16);
                long delta = opcode == 0x06 || opcode == 0x16 ? 0 : random.nextInt(100); // Difference.MEMCACHED_SHRINKING_COUNTER
                out.raw(packet(opcode, opaque, k, "", ByteBuffer.allocate(20).putLong(delta).putLong(random.nextInt(100))
                        .putInt(random.nextBoolean() ? 0 : 0xffffffff).array()));
            }
            case 8 -> out.raw(packet(pick(0x1c, 0x1d, 0x1e), opaque, k, "", ByteBuffer.allocate(4).putInt(pick(0, 1000)).array()));
            default -> out.raw(packet(0x0a, opaque, "", "", new byte[0]));
        }
    }

    /** Writes a malformed request; returns whether memcached closes the connection after answering it. */
    private boolean malformedBinary() {
        if (random.nextInt(40) == 0) { // a value over the item size: Set and SetQ also unlink the old value
            out.raw(packet(pick(0x01, 0x11, 0x02), 9, key(), "x".repeat(ITEM_SIZE + 1), new byte[8]));
            return false;
        }
        if (random.nextBoolean()) {
            boolean body = false; // Difference.BINARY_UNKNOWN_WITH_BODY
            out.raw(packet(pick(0x45, 0x1f, 0x3c), 9, body ? key() : "", "", new byte[0])); // unknown opcodes
            return false;
        }
        switch (random.nextInt(3)) {
            case 0 -> out.raw(packet(0x00, 9, key(), "", new byte[4])); // a Get takes no extras
            case 1 -> out.raw(packet(0x01, 9, key(), "v", new byte[0])); // a Set needs 8 bytes of extras
            default -> out.raw(packet(0x00, 9, "", "", new byte[0])); // a Get needs a key
        }
        return true;
    }

    /** A request packet with cas 0. */
    static byte[] packet(int opcode, int opaque, String key, String value, byte[] extras) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer p = ByteBuffer.allocate(24 + extras.length + k.length + v.length);
        p.put((byte) 0x80).put((byte) opcode).putShort((short) k.length).put((byte) extras.length).put((byte) 0).putShort((short) 0)
                .putInt(extras.length + k.length + v.length).putInt(opaque).putLong(0).put(extras).put(k).put(v);
        return p.array();
    }

    /** An empty success response, as a Noop is answered. */
    private static byte[] response(int opcode, int opaque) {
        return ByteBuffer.allocate(24).put((byte) 0x81).put((byte) opcode).putShort(8, (short) 0).putInt(12, opaque).array();
    }

    /**
     * The replies with the cas field of each binary response header zeroed
     * ({@link Difference#BINARY_CAS}); text replies are returned as they are.
     */
    static byte[] withoutBinaryCas(byte[] reply) {
        byte[] copy = reply.clone();
        for (int at = 0; at + 24 <= copy.length && copy[at] == (byte) 0x81; ) {
            java.util.Arrays.fill(copy, at + 16, at + 24, (byte) 0);
            at += 24 + ByteBuffer.wrap(copy, at + 8, 4).getInt();
        }
        return copy;
    }

    // ------------------------------------------------------------------ words

    private int count() {
        return 1 + random.nextInt(random.nextInt(10) == 0 ? 60 : 12);
    }

    private String key() {
        return prefix + (char) ('a' + random.nextInt(4));
    }

    private String value() {
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> word();
            case 4, 5 -> Integer.toString(random.nextInt(1000));
            case 6 -> "";
            case 7 -> pick("4294967296", "-3", "1.5"); // none shrinks or wraps when incremented: Difference.MEMCACHED_SHRINKING_COUNTER
            case 8 -> bytes(1 + random.nextInt(20));
            default -> "long-".repeat(10 + random.nextInt(400));
        };
    }

    private String word() {
        char[] chars = new char[1 + random.nextInt(6)];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) ('a' + random.nextInt(3));
        }
        return new String(chars);
    }

    private String bytes(int n) {
        char[] chars = new char[n];
        for (int i = 0; i < n; i++) {
            chars[i] = (char) random.nextInt(256);
        }
        return new String(chars).replace('~', '-'); // keeps the fence value unique
    }

    private String flags() {
        return pick("0", "1", "4294967295", Integer.toString(random.nextInt(65536)));
    }

    private String exptime() {
        return pick("0", "0", "1000", "-1");
    }

    private String delta() {
        return pick("1", "5", "0", Integer.toString(random.nextInt(1000)));
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private int pick(int... options) {
        return options[random.nextInt(options.length)];
    }
}
