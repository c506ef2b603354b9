package io.metacluster.testing;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A small seeded fuzzing harness for the protocol codecs, shared by the protocol modules
 * through core's test-jar.
 *
 * <p><b>Running.</b> {@link #run} runs a number of cases, each from its own seed derived from a
 * base seed and the case number. System properties:
 * <ul>
 *   <li>{@code -Dfuzz.cases=N}: cases per fuzz test (default: each test's CI count);</li>
 *   <li>{@code -Dfuzz.seed=N|random}: the base seed (default fixed, so CI is deterministic);</li>
 *   <li>{@code -Dfuzz.replay=SEED}: run only the case with that seed (printed on failure);</li>
 *   <li>{@code -Dfuzz.stallSeconds=N}: how long one case may run before it counts as a hang (default 20).</li>
 * </ul>
 * A failing case fails the test with its seed and the {@code -D} that reproduces it. Cases run
 * on a worker thread watched by the test thread, so an infinite loop in a codec is reported
 * (with the worker's stack) instead of hanging the build.
 *
 * <p><b>Driving.</b> {@link ClientDriver} and {@link BackendDriver} feed bytes to a codec through
 * a real {@link ByteToMessageDecoder} in an {@link EmbeddedChannel}, exactly as the engine's
 * {@code ClientFrameDecoder} and {@code ReplyReader} do (cumulation, discarding read bytes,
 * stop after a {@link ProtocolException}), and check every result. Every buffer involved comes
 * from {@link Tracking}, an allocator that remembers what it handed out, so a case can assert
 * that nothing is still referenced when it is done, and that no single allocation was out of
 * proportion with the input (a huge announced length must not be allocated). Cases run on
 * {@code -Dfuzz.threads} workers (default 2), each case on one thread with its own codecs.
 */
public final class FuzzKit {
    public static final long DEFAULT_SEED = 0x6d657461636c7573L; // "metaclus"

    private FuzzKit() {
    }

    // ------------------------------------------------------------------ running

    public interface Case {
        void run(SplittableRandom random) throws Exception;
    }

    /** Runs {@code defaultCases} cases (or {@code -Dfuzz.cases}) of {@code body}; returns the count run. */
    public static long run(String name, long defaultCases, Case body) throws Exception {
        String replay = System.getProperty("fuzz.replay");
        long base = baseSeed();
        long cases = replay != null ? 1 : Long.getLong("fuzz.cases", defaultCases);
        int threads = replay != null ? 1 : Integer.getInteger("fuzz.threads", Math.min(2, Runtime.getRuntime().availableProcessors()));
        long stallNanos = TimeUnit.SECONDS.toNanos(Long.getLong("fuzz.stallSeconds", 20));
        Progress[] progress = new Progress[threads];
        Thread[] workers = new Thread[threads];
        long started = System.nanoTime();
        Progress.stop = false;
        for (int w = 0; w < threads; w++) {
            Progress p = progress[w] = new Progress();
            int first = w;
            workers[w] = new Thread(() -> {
                try {
                    for (long i = first; i < cases && !Progress.stop; i += threads) {
                        long seed = replay != null ? Long.parseUnsignedLong(replay.replaceFirst("^0x", ""), 16) : caseSeed(base, i);
                        p.begin(seed);
                        body.run(new SplittableRandom(seed));
                        p.done++;
                    }
                    p.cpuNanos = THREADS.getCurrentThreadCpuTime();
                } catch (Throwable t) {
                    p.failure = t;
                    Progress.stop = true;
                }
            }, "fuzz-" + name + "-" + w);
            workers[w].setDaemon(true);
            workers[w].start();
        }
        for (int w = 0; w < threads; w++) {
            Thread worker = workers[w];
            Progress p = progress[w];
            while (worker.isAlive()) {
                worker.join(100);
                long caseStart = p.caseStart;
                if (worker.isAlive() && System.nanoTime() - caseStart > stallNanos && caseStart == p.caseStart) {
                    Progress.stop = true;
                    AssertionError hang = new AssertionError(name + ": case " + hex(p.seed) + " ran for more than "
                            + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s (infinite loop?); reproduce with -Dfuzz.replay="
                            + hex(p.seed));
                    Throwable where = new Throwable("the fuzz worker was here");
                    where.setStackTrace(worker.getStackTrace());
                    hang.addSuppressed(where);
                    throw hang; // the worker is a daemon thread: it spins on, but the build goes on
                }
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        long done = 0;
        long cpu = 0;
        for (Progress p : progress) {
            done += p.done;
            cpu += p.cpuNanos;
        }
        for (Progress p : progress) {
            if (p.failure != null) {
                throw new AssertionError(name + ": case " + hex(p.seed) + " failed (base seed " + base + ", " + done
                        + " good cases); reproduce with -Dfuzz.replay=" + hex(p.seed) + ": " + p.failure, p.failure);
            }
        }
        System.out.printf(Locale.ROOT, "[fuzz] %s: %,d cases in %,d ms on %d threads, %,d ms CPU (base seed %d)%n", name, done,
                millis, threads, TimeUnit.NANOSECONDS.toMillis(cpu), base);
        return done;
    }

    private static final class Progress {
        static volatile boolean stop;
        volatile long seed;
        volatile long caseStart = System.nanoTime();
        volatile long done;
        volatile long cpuNanos;
        volatile Throwable failure;

        void begin(long seed) {
            this.seed = seed;
            this.caseStart = System.nanoTime();
        }
    }

    private static long baseSeed() {
        String text = System.getProperty("fuzz.seed");
        if (text == null || text.isBlank()) {
            return DEFAULT_SEED;
        }
        if (text.equals("random")) {
            return System.nanoTime() ^ Double.doubleToLongBits(Math.random());
        }
        return Long.parseLong(text);
    }

    public static long caseSeed(long base, long index) {
        long z = base + (index + 1) * 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public static String hex(long seed) {
        return Long.toHexString(seed);
    }

    // ------------------------------------------------------------------ inputs

    /** Bytes that matter to the text protocols, used for insertions and replacements. */
    private static final byte[] INTERESTING = {'\r', '\n', ' ', '*', '$', ':', '+', '-', '0', '1', '9', '"', '\'', '\\',
            '%', '~', '>', '|', '_', ',', '#', '(', '=', '!', '?', 0, 0x7f, (byte) 0x80, (byte) 0x81, (byte) 0xff, 'x', '\t'};

    /** Numbers that break length parsers. */
    public static final String[] NUMBERS = {"0", "1", "-1", "-2", "2147483647", "2147483648", "-2147483648", "4294967295",
            "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
            "18446744073709551616", "99999999999999999999999", "00", "01", "+1", " 1", "1 ", "", "-", "-0", "0x10",
            "1e3", "67108864", "67108865", "1048576", "1048577", "65536", "3", "10"};

    public static String number(SplittableRandom r) {
        return r.nextInt(3) == 0 ? NUMBERS[r.nextInt(NUMBERS.length)] : Integer.toString(r.nextInt(r.nextBoolean() ? 10 : 100_000));
    }

    public static byte[] randomBytes(SplittableRandom r, int max) {
        byte[] b = new byte[r.nextInt(max + 1)];
        boolean textual = r.nextBoolean();
        for (int i = 0; i < b.length; i++) {
            b[i] = textual && r.nextInt(4) != 0 ? INTERESTING[r.nextInt(INTERESTING.length)] : (byte) r.nextInt(256);
        }
        return b;
    }

    /** One to a few mutations of {@code in}: bit flips, inserts, deletes, duplicated or dropped segments, truncation. */
    public static byte[] mutate(SplittableRandom r, byte[] in) {
        byte[] out = in;
        int rounds = 1 + (r.nextInt(4) == 0 ? r.nextInt(8) : 0);
        for (int k = 0; k < rounds; k++) {
            out = mutateOnce(r, out);
        }
        return out;
    }

    private static byte[] mutateOnce(SplittableRandom r, byte[] in) {
        int n = in.length;
        if (n == 0) {
            return randomBytes(r, 8);
        }
        int at = r.nextInt(n);
        switch (r.nextInt(9)) {
            case 0 -> { // bit flip
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << r.nextInt(8));
                return out;
            }
            case 1 -> { // replace a byte with an interesting one
                byte[] out = in.clone();
                out[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                return out;
            }
            case 2 -> { // insert bytes
                byte[] ins = r.nextBoolean() ? new byte[] {INTERESTING[r.nextInt(INTERESTING.length)]} : randomBytes(r, 6);
                return splice(in, at, at, ins);
            }
            case 3 -> { // delete a range
                int len = 1 + r.nextInt(Math.min(n - at, 8));
                return splice(in, at, at + len, new byte[0]);
            }
            case 4 -> { // duplicate a segment
                int len = 1 + r.nextInt(Math.min(n - at, 64));
                int to = r.nextInt(n + 1);
                return splice(in, to, to, Arrays.copyOfRange(in, at, at + len));
            }
            case 5 -> { // truncate
                return Arrays.copyOf(in, at);
            }
            case 6 -> { // replace a run of digits with a nasty number
                int start = at;
                while (start < n && (in[start] < '0' || in[start] > '9')) {
                    start++;
                }
                if (start == n) {
                    return mutateOnce(r, in);
                }
                int end = start;
                while (end < n && in[end] >= '0' && in[end] <= '9') {
                    end++;
                }
                if (start > 0 && in[start - 1] == '-' && r.nextBoolean()) {
                    start--;
                }
                return splice(in, start, end, ascii(NUMBERS[r.nextInt(NUMBERS.length)]));
            }
            case 7 -> { // swap two segments
                int len = 1 + r.nextInt(Math.min(n - at, 16));
                int other = r.nextInt(n - len + 1);
                byte[] out = in.clone();
                byte[] a = Arrays.copyOfRange(in, at, at + len);
                System.arraycopy(in, other, out, at, len);
                System.arraycopy(a, 0, out, other, len);
                return out;
            }
            default -> { // drop a CR or an LF, or double one
                for (int i = at, seen = 0; seen < n; i = (i + 1) % n, seen++) {
                    if (in[i] == '\r' || in[i] == '\n') {
                        return r.nextBoolean() ? splice(in, i, i + 1, new byte[0]) : splice(in, i, i, new byte[] {in[i]});
                    }
                }
                return splice(in, at, at, new byte[] {'\r', '\n'});
            }
        }
    }

    public static byte[] splice(byte[] in, int from, int to, byte[] insert) {
        byte[] out = new byte[in.length - (to - from) + insert.length];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(in, to, out, from + insert.length, in.length - to);
        return out;
    }

    /**
     * Where to cut {@code length} bytes into consecutive reads: a few random cuts mostly, now and
     * then tiny pieces (byte by byte for short inputs; at most about 64 pieces, since each read
     * costs a trip through the pipeline). Never empty, so that the cut input differs from the whole.
     */
    public static int[] cuts(SplittableRandom r, int length) {
        if (length < 2) {
            return new int[0];
        }
        if (r.nextInt(8) == 0) {
            int step = Math.max(1, length / 64);
            if (step == 1 && r.nextBoolean()) {
                step = 1 + r.nextInt(3);
            }
            int[] c = new int[(length - 1) / step];
            for (int i = 0; i < c.length; i++) {
                c[i] = (i + 1) * step;
            }
            return c;
        }
        return r.ints(1 + r.nextInt(Math.min(length - 1, 12)), 1, length).sorted().distinct().toArray();
    }

    public static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    public static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    public static String printable(byte[] bytes, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, max); i++) {
            int c = bytes[i] & 0xff;
            if (c == '\r') {
                s.append("\\r");
            } else if (c == '\n') {
                s.append("\\n");
            } else if (c >= 0x20 && c < 0x7f && c != '\\') {
                s.append((char) c);
            } else {
                s.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return bytes.length > max ? s + "...(" + bytes.length + " bytes)" : s.toString();
    }

    // ------------------------------------------------------------------ memory

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Heap bytes allocated so far by the current thread. */
    public static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * The allocator of one case: every buffer it hands out (input, cumulation, what the codec
     * allocates through {@code in.alloc()}) is remembered, so that {@link #assertAllReleased} can
     * check after the case that nothing is still referenced: an exact, immediate leak check that
     * names the case. Any single allocation over {@link #maxAllocation} fails the case (a huge
     * announced length must not be allocated).
     *
     * <p>One case in {@link #PARANOID_SHARE} uses pooled direct buffers, which Netty's leak detector
     * (PARANOID in the build, see LeakDetection) tracks, with a stack trace on every access; the
     * others use unpooled heap buffers, which Netty does not track and which are twenty times
     * faster under PARANOID. Both are checked exactly by this class.
     */
    public static final class Tracking {
        public static final int PARANOID_SHARE = Integer.getInteger("fuzz.paranoidShare", 4);
        private static final ThreadLocal<PooledTracking> POOLED = ThreadLocal.withInitial(PooledTracking::new);
        private static final ThreadLocal<HeapTracking> HEAP = ThreadLocal.withInitial(HeapTracking::new);

        public final ByteBufAllocator alloc;
        private final List<ByteBuf> handedOut;
        private final int[] max;

        public Tracking(SplittableRandom r, int maxAllocation) {
            if (r.nextInt(PARANOID_SHARE) == 0) {
                PooledTracking pooled = POOLED.get();
                alloc = pooled;
                handedOut = pooled.handedOut;
                max = pooled.max;
            } else {
                HeapTracking heap = HEAP.get();
                alloc = heap;
                handedOut = heap.handedOut;
                max = heap.max;
            }
            handedOut.clear();
            max[0] = maxAllocation;
        }

        /** Sets the largest single allocation allowed from now on (e.g. once the input is known). */
        public void setMaxAllocation(int bytes) {
            max[0] = bytes;
        }

        /** A buffer holding {@code bytes}, as a socket read would deliver it. */
        public ByteBuf wrap(byte[] bytes) {
            return alloc.buffer(Math.max(1, bytes.length)).writeBytes(bytes);
        }

        /** Fails when a buffer handed out is still referenced; forgets them all. */
        public void assertAllReleased(String where) {
            try {
                for (ByteBuf buf : handedOut) {
                    if (buf.refCnt() != 0) {
                        throw new AssertionError(where + ": a buffer is still referenced (refCnt " + buf.refCnt() + "): "
                                + buf + " holding " + printable(bytesOf(buf), 200));
                    }
                }
            } finally {
                handedOut.clear();
            }
        }

        /** Releases whatever is still referenced (after a failure, so later cases are not blamed). */
        public void releaseAll() {
            for (ByteBuf buf : handedOut) {
                if (buf.refCnt() > 0) {
                    buf.release(buf.refCnt());
                }
            }
            handedOut.clear();
        }

        static void check(int[] max, int capacity) {
            if (capacity > max[0]) {
                throw new AssertionError("allocation of " + capacity + " bytes, more than the " + max[0]
                        + " this input can justify (a huge announced length allocated?)");
            }
        }
    }

    /** Pooled direct buffers, tracked by Netty's leak detector; remembers what it hands out. */
    private static final class PooledTracking extends PooledByteBufAllocator {
        final List<ByteBuf> handedOut = new ArrayList<>();
        final int[] max = {1 << 20};

        PooledTracking() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            Tracking.check(max, initialCapacity);
            ByteBuf buf = super.newDirectBuffer(initialCapacity, maxCapacity);
            handedOut.add(buf);
            return buf;
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            Tracking.check(max, initialCapacity);
            ByteBuf buf = super.newHeapBuffer(initialCapacity, maxCapacity);
            handedOut.add(buf);
            return buf;
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
            CompositeByteBuf buf = super.compositeHeapBuffer(maxNumComponents);
            handedOut.add(buf);
            return buf;
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
            CompositeByteBuf buf = super.compositeDirectBuffer(maxNumComponents);
            handedOut.add(buf);
            return buf;
        }
    }

    /** Unpooled heap buffers (not tracked by Netty, so fast at PARANOID); remembers what it hands out. */
    private static final class HeapTracking extends AbstractByteBufAllocator {
        final List<ByteBuf> handedOut = new ArrayList<>();
        final int[] max = {1 << 20};

        HeapTracking() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            Tracking.check(max, initialCapacity);
            ByteBuf buf = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            handedOut.add(buf);
            return buf;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
            CompositeByteBuf buf = new CompositeByteBuf(this, false, maxNumComponents);
            handedOut.add(buf);
            return buf;
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
            return compositeHeapBuffer(maxNumComponents);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    // ------------------------------------------------------------------ client side

    /**
     * Decodes {@code input} cut at {@code cuts} with a fresh codec, as the engine's
     * {@code ClientFrameDecoder} does, checking each command and handling it as the engine's
     * client session would (answer ADMIN, render the rejection of UNSUPPORTED, release).
     *
     * @param describe extra description of a command (e.g. its detail), for comparisons
     * @return what came out: each command described, then the protocol error if there was one
     */
    public static List<String> decodeClient(ClientCodec codec, Tracking alloc, byte[] input, int[] cuts,
                                     Function<Command, String> describe) {
        ClientAdapter adapter = new ClientAdapter(codec, input.length);
        Context context = new Context(alloc.alloc);
        List<String> out = new ArrayList<>();
        // each command is handled as soon as it is decoded, before the next decode, as the engine
        // does: a codec may change state when it answers (Redis MULTI)
        EmbeddedChannel channel = new EmbeddedChannel(adapter, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Command command) {
                    try {
                        out.add(handle(codec, command, context, alloc.alloc, describe));
                    } finally {
                        command.release();
                    }
                } else {
                    String failure = (String) msg;
                    out.add("ProtocolException: " + failure);
                    ByteBuf error = codec.error(alloc.alloc, null, failure);
                    try {
                        assertOneLine(error, failure);
                    } finally {
                        release(error);
                    }
                }
            }
        });
        channel.config().setAllocator(alloc.alloc);
        try {
            int from = 0;
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : input.length;
                if (to > from) {
                    channel.writeInbound(alloc.wrap(Arrays.copyOfRange(input, from, to)));
                }
                from = to;
                if (adapter.problem != null) {
                    throw adapter.problem;
                }
            }
        } finally {
            channel.finishAndReleaseAll();
            codec.closed();
        }
        return out;
    }

    private static String handle(ClientCodec codec, Command command, Context context, ByteBufAllocator alloc,
                                 Function<Command, String> describe) {
        ByteBuf frame = command.frame();
        if (frame.refCnt() <= 0) {
            throw new AssertionError("a command whose frame is already released: " + command);
        }
        if (!frame.isReadable()) {
            throw new AssertionError("a command with an empty frame: " + command);
        }
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i < command.keyCount(); i++) {
            ByteBuf key = command.key(i); // throws on a range outside the frame
            keys.append(i == 0 ? "" : ",").append(printable(bytesOf(key), 300));
        }
        if (command.kind() == CommandKind.UNSUPPORTED) {
            if (command.rejection() == null) {
                throw new AssertionError("UNSUPPORTED without a rejection: " + command);
            }
            release(codec.error(alloc, command, command.rejection()));
        } else if (command.kind() == CommandKind.ADMIN) {
            context.closeAfterReply = false;
            release(codec.answer(command, context));
        } else {
            // what the engine renders when no cluster can serve it
            release(codec.error(alloc, command, "no cluster can serve " + command.name() + " now"));
        }
        return command.name() + " " + command.kind() + " lane=" + command.lane() + " keys=[" + keys + "] frame="
                + printable(bytesOf(frame), 400) + (command.rejection() == null ? "" : " rejection=" + command.rejection())
                + (describe == null ? "" : " " + describe.apply(command));
    }

    /**
     * A text protocol's error reply must be one line whatever the exception's message holds (the
     * SPI asks for single-line messages; the codecs' {@code error} must not let a CR or LF that
     * came from the client's bytes split the reply). Binary replies (memcached 0x81) are skipped.
     */
    public static void assertOneLine(ByteBuf reply, String message) {
        if (reply == null || !reply.isReadable() || reply.getUnsignedByte(reply.readerIndex()) == 0x81) {
            return;
        }
        byte[] b = bytesOf(reply);
        for (int i = 0; i < b.length - 2; i++) {
            if (b[i] == '\r' || b[i] == '\n') {
                throw new AssertionError("the error reply is not one line: " + printable(b, 300) + " (message: " + message + ")");
            }
        }
        if (b.length < 2 || b[b.length - 2] != '\r' || b[b.length - 1] != '\n') {
            throw new AssertionError("the error reply does not end in CRLF: " + printable(b, 300));
        }
    }

    public static byte[] bytesOf(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return b;
    }

    public static void release(ByteBuf buf) {
        if (buf != null) {
            buf.release();
        }
    }

    /** The engine's ClientFrameDecoder, plus checks of the codec's side of the contract. */
    private static final class ClientAdapter extends ByteToMessageDecoder {
        private final ClientCodec codec;
        private final long maxCalls;
        private long calls;
        private boolean failed;
        AssertionError problem;

        ClientAdapter(ClientCodec codec, int inputLength) {
            this.codec = codec;
            this.maxCalls = 64L + 4L * inputLength;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (failed || problem != null) {
                in.skipBytes(in.readableBytes());
                return;
            }
            if (++calls > maxCalls) {
                fail(in, "decode called " + calls + " times for " + (maxCalls - 64) / 4 + " input bytes");
                return;
            }
            int before = in.readableBytes();
            int readerIndex = in.readerIndex();
            Command command;
            try {
                command = codec.decode(in);
            } catch (ProtocolException e) {
                failed = true;
                in.skipBytes(in.readableBytes());
                out.add(String.valueOf(e.getMessage()));
                return;
            } catch (RuntimeException | Error e) {
                problem = new AssertionError("decode threw " + e, e);
                in.skipBytes(in.readableBytes());
                return;
            }
            if (in.readerIndex() < readerIndex || in.readableBytes() > before) {
                fail(in, "decode moved the reader index backwards");
            }
            if (command != null) {
                if (in.readableBytes() == before) {
                    command.release();
                    fail(in, "decode returned " + command + " without consuming anything");
                    return;
                }
                out.add(command);
            }
        }

        private void fail(ByteBuf in, String message) {
            if (problem == null) {
                problem = new AssertionError(message);
            }
            in.skipBytes(in.readableBytes());
        }
    }

    public static final class Context implements ClientContext {
        private final ByteBufAllocator alloc;
        public boolean closeAfterReply;

        public Context(ByteBufAllocator alloc) {
            this.alloc = alloc;
        }

        @Override
        public ByteBufAllocator alloc() {
            return alloc;
        }

        @Override
        public long id() {
            return 7;
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1:40000";
        }

        @Override
        public String listenerName() {
            return "fuzz";
        }

        @Override
        public void closeAfterReply() {
            closeAfterReply = true;
        }
    }

    // ------------------------------------------------------------------ backend side

    /**
     * Splits {@code input} (cut at {@code cuts}) with {@code codec} as the engine's ReplyReader
     * does: each reply is matched to the oldest request of {@code requests} ({@code null} entries
     * stand for handshake requests), checked, and handed to {@code client} as the engine would
     * (isError, isMiss of a read, propagation of an applied conditional write, present). Returns the reply lengths,
     * then "ProtocolException: ..." if the codec refused the stream, or "no request in flight"
     * when replies outnumber requests.
     */
    public static List<String> splitReplies(BackendCodec codec, ClientCodec client, Tracking alloc, List<Command> requests,
                                     byte[] input, int[] cuts) {
        ReplyAdapter adapter = new ReplyAdapter(codec, client, alloc.alloc, requests, input.length);
        EmbeddedChannel channel = new EmbeddedChannel(adapter);
        channel.config().setAllocator(alloc.alloc);
        try {
            int from = 0;
            for (int i = 0; i <= cuts.length && !adapter.stopped; i++) {
                int to = i < cuts.length ? cuts[i] : input.length;
                if (to > from) {
                    channel.writeInbound(alloc.wrap(Arrays.copyOfRange(input, from, to)));
                }
                from = to;
                if (adapter.problem != null) {
                    throw adapter.problem;
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        return adapter.out;
    }

    private static final class ReplyAdapter extends ByteToMessageDecoder {
        private final BackendCodec codec;
        private final ClientCodec client;
        private final ByteBufAllocator alloc;
        private final Deque<Command> inFlight;
        private final long maxCalls;
        private long calls;
        final List<String> out = new ArrayList<>();
        boolean stopped;
        AssertionError problem;

        ReplyAdapter(BackendCodec codec, ClientCodec client, ByteBufAllocator alloc, List<Command> requests, int inputLength) {
            this.codec = codec;
            this.client = client;
            this.alloc = alloc;
            this.inFlight = new ArrayDeque<>();
            for (Command c : requests) {
                inFlight.add(c == null ? HANDSHAKE : c);
            }
            this.maxCalls = 64L + 4L * inputLength;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> ignored) {
            try {
                while (in.isReadable() && !stopped) {
                    if (++calls > maxCalls) {
                        throw new AssertionError("replyLength called " + calls + " times for " + (maxCalls - 64) / 4 + " bytes");
                    }
                    Command request = inFlight.peek();
                    if (request == null) {
                        out.add("no request in flight");
                        stop(in);
                        return;
                    }
                    Command asked = request == HANDSHAKE ? null : request;
                    int readerIndex = in.readerIndex();
                    int readable = in.readableBytes();
                    int length;
                    try {
                        length = codec.replyLength(in, asked);
                    } catch (ProtocolException e) {
                        out.add("ProtocolException: " + e.getMessage());
                        stop(in);
                        return;
                    }
                    if (in.readerIndex() != readerIndex || in.readableBytes() != readable) {
                        throw new AssertionError("replyLength consumed or changed the buffer");
                    }
                    if (length < 0) {
                        if (length != -1) {
                            throw new AssertionError("replyLength returned " + length);
                        }
                        return;
                    }
                    if (length == 0 || length > readable) {
                        throw new AssertionError("replyLength returned " + length + " with " + readable + " bytes readable");
                    }
                    inFlight.poll();
                    out.add(Integer.toString(length));
                    if (asked == null) {
                        codec.isError(null, in.readSlice(length));
                        continue;
                    }
                    ByteBuf reply = in.readRetainedSlice(length);
                    codec.isError(asked, reply);
                    if (asked.kind() == CommandKind.READ) {
                        client.isMiss(asked, reply); // miss-failover asks this of every read's reply
                    }
                    if (asked.kind() == CommandKind.CONDITIONAL_WRITE) {
                        Command followUp = client.conditionalWrites().propagation(asked, reply, alloc);
                        if (followUp != null) {
                            if (!followUp.frame().isReadable()) {
                                throw new AssertionError("an empty propagation frame");
                            }
                            for (int k = 0; k < followUp.keyCount(); k++) {
                                followUp.key(k);
                            }
                            followUp.release();
                        }
                    }
                    release(client.present(asked, reply));
                }
            } catch (RuntimeException | Error e) {
                problem = e instanceof AssertionError a ? a : new AssertionError("backend codec threw " + e, e);
                stop(in);
            }
        }

        private void stop(ByteBuf in) {
            stopped = true;
            in.skipBytes(in.readableBytes());
        }
    }

    /** Stands for a handshake request (the codec is asked with {@code null}). */
    private static final Command HANDSHAKE =
            Command.of(io.netty.buffer.Unpooled.EMPTY_BUFFER, "handshake", CommandKind.ADMIN, null, null);
}
