package io.metacluster.redis;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.List;

/**
 * Finds the keys of a request from its command's key specs, as Redis 7.0's
 * {@code getKeysUsingKeySpecs} does (partial results: a spec that does not apply to these
 * arguments contributes nothing, it is not an error), plus the two key procedures whose specs
 * are incomplete: SORT (STORE destination) and MIGRATE (KEYS option).
 *
 * <p>Arguments are given as (offset, length) pairs relative to {@code frame}'s reader index.
 * Never reads past the arguments present: missing arguments mean fewer keys, and the backend
 * answers the arity or syntax error. Not thread-safe (one per codec, reuses a scratch array).
 */
final class KeyFinder {
    private int[] scratch = new int[16];
    private int count;

    /**
     * Finds the keys of a request; read them with {@link #offset}, {@link #length} or
     * {@link #ranges} before the next call.
     *
     * @return how many keys it has
     */
    int find(CommandInfo info, ByteBuf frame, int[] args, int argc) {
        count = 0;
        switch (info.rules().keys()) {
            case SORT -> sortKeys(frame, args, argc);
            case MIGRATE -> migrateKeys(frame, args, argc);
            case SPECS -> {
                List<KeySpec> specs = info.keySpecs();
                // indexed, not for-each: an iterator per request is garbage on the hot path
                for (int i = 0; i < specs.size(); i++) {
                    applySpec(specs.get(i), frame, args, argc);
                }
            }
        }
        return count;
    }

    /** Where key {@code i} of the last {@link #find} starts, relative to the frame start. */
    int offset(int i) {
        return scratch[2 * i];
    }

    int length(int i) {
        return scratch[2 * i + 1];
    }

    /** The keys of the last {@link #find} as (offset, length) pairs, for {@link io.metacluster.spi.Command#of}. */
    int[] ranges() {
        return Arrays.copyOf(scratch, 2 * count);
    }

    private void applySpec(KeySpec spec, ByteBuf frame, int[] args, int argc) {
        int first;
        if (spec.beginIndex() > 0) {
            first = spec.beginIndex();
        } else if (spec.keyword() != null) {
            first = 0;
            int startIndex = spec.startFrom() > 0 ? spec.startFrom() : argc + spec.startFrom();
            int endIndex = spec.startFrom() > 0 ? argc - 1 : 1;
            for (int i = startIndex; i != endIndex; i = startIndex <= endIndex ? i + 1 : i - 1) {
                if (i >= argc || i < 1) {
                    break;
                }
                if (argEquals(frame, args, i, spec.keyword())) {
                    first = i + 1;
                    break;
                }
            }
            if (first == 0) {
                return;
            }
        } else {
            return;
        }
        int last;
        int step;
        switch (spec.find()) {
            case RANGE -> {
                step = spec.b();
                if (spec.a() >= 0) {
                    last = first + spec.a();
                } else if (spec.c() == 0) {
                    last = argc + spec.a();
                } else {
                    last = first + ((argc - first) / spec.c() + spec.a());
                }
            }
            case KEYNUM -> {
                step = spec.c();
                if (spec.a() >= argc - first) {
                    return;
                }
                int at = first + spec.a();
                long numkeys = RespSplitter.parseDecimal(frame, frame.readerIndex() + args[2 * at], frame.readerIndex() + args[2 * at] + args[2 * at + 1]);
                if (numkeys < 0 || numkeys > argc) {
                    return; // not a number, negative, or more keys than arguments: the backend says so
                }
                first += spec.b();
                last = first + (int) numkeys - 1;
            }
            default -> {
                return;
            }
        }
        if (last >= argc || last < first || first >= argc || step <= 0) {
            return;
        }
        for (int i = first; i <= last; i += step) {
            add(args, i);
        }
    }

    /** Redis sortGetKeys: the sorted key, and the last STORE destination. */
    private void sortKeys(ByteBuf frame, int[] args, int argc) {
        if (argc < 2) {
            return;
        }
        add(args, 1);
        int store = -1;
        for (int i = 2; i < argc; i++) {
            if (argEquals(frame, args, i, "LIMIT")) {
                i += 2;
            } else if (argEquals(frame, args, i, "GET") || argEquals(frame, args, i, "BY")) {
                i += 1;
            } else if (argEquals(frame, args, i, "STORE") && i + 1 < argc) {
                store = i + 1;
            }
        }
        if (store > 0) {
            add(args, store);
        }
    }

    /** Redis migrateGetKeys: argument 3, or with an empty argument 3, everything after KEYS. */
    private void migrateKeys(ByteBuf frame, int[] args, int argc) {
        if (argc < 6) {
            return;
        }
        int first = 3;
        int num = 1;
        for (int i = 6; i < argc; i++) {
            if (argEquals(frame, args, i, "KEYS")) {
                if (args[2 * 3 + 1] > 0) {
                    return; // both a key and KEYS: Redis refuses it
                }
                first = i + 1;
                num = argc - first;
                break;
            } else if (argEquals(frame, args, i, "AUTH")) {
                i += 1;
            } else if (argEquals(frame, args, i, "AUTH2")) {
                i += 2;
            }
        }
        for (int i = first; i < first + num; i++) {
            add(args, i);
        }
    }

    private void add(int[] args, int i) {
        if (2 * count + 2 > scratch.length) {
            scratch = Arrays.copyOf(scratch, scratch.length * 2);
        }
        scratch[2 * count] = args[2 * i];
        scratch[2 * count + 1] = args[2 * i + 1];
        count++;
    }

    /** Whether argument {@code i} equals {@code upper} (upper case ASCII), ignoring case. */
    static boolean argEquals(ByteBuf frame, int[] args, int i, String upper) {
        int length = args[2 * i + 1];
        if (length != upper.length()) {
            return false;
        }
        int base = frame.readerIndex() + args[2 * i];
        for (int j = 0; j < length; j++) {
            byte b = frame.getByte(base + j);
            if (b >= 'a' && b <= 'z') {
                b -= 32;
            }
            if (b != upper.charAt(j)) {
                return false;
            }
        }
        return true;
    }
}
