package io.metacluster.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Fails a test class when Netty reported a buffer (or other resource) leak while it ran.
 *
 * <p>Netty only logs leaks. This extension installs a {@link ResourceLeakDetectorFactory} whose
 * detectors also record every report; after each test class it forces garbage collection and
 * allocates a few buffers (Netty reports leaks from the allocation path), then fails the class
 * with the reports. Detection is at {@code PARANOID} level (every buffer is tracked), which the
 * surefire {@code argLine} sets and this extension enforces.
 *
 * <p>Registered for every test class by JUnit's extension autodetection: core's test-jar carries
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}, and a module opts in with
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in its
 * {@code src/test/resources/junit-platform.properties}. Autodetected extensions are created
 * before any test class runs, which is early enough: the factory must be in place before
 * {@code io.netty.buffer.AbstractByteBuf} is initialised, since that class creates the one
 * detector for all buffers. {@link #beforeAll} fails loudly if that did not happen.
 *
 * <p>A leak is reported against the class during whose run the garbage collector noticed it,
 * normally the one that leaked it.
 *
 * <p>Netty tracks direct and pooled buffers only: {@code Unpooled.buffer()} or
 * {@code Unpooled.copiedBuffer(...)} (unpooled heap) are never tracked, so a test that wants its
 * leaks caught allocates as the engine does, from {@code ByteBufAllocator.DEFAULT}.
 */
public final class LeakDetection implements BeforeAllCallback, AfterAllCallback {
    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final boolean INSTALLED_IN_TIME;

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
        if (ResourceLeakDetector.getLevel().ordinal() < ResourceLeakDetector.Level.PARANOID.ordinal()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        INSTALLED_IN_TIME = bufferDetectorIsRecording();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!INSTALLED_IN_TIME) {
            throw new IllegalStateException("Netty's buffer leak detector was created before " + LeakDetection.class.getName()
                    + " could install its recording factory; leaks would go unnoticed. Is extension autodetection enabled"
                    + " (junit-platform.properties) and nothing touching ByteBuf before JUnit starts?");
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        assertNoLeaks(context.getDisplayName());
    }

    /**
     * Flushes pending reports and throws {@link AssertionError} listing every leak recorded since
     * the last check; the recorded leaks are consumed either way.
     */
    public static void assertNoLeaks(String where) {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty resource leak(s) detected in " + where + ":\n"
                    + String.join("\n\n", leaks));
        }
    }

    /** Forces collection of unreachable resources, lets Netty report them, and returns (and forgets) the reports. */
    public static List<String> collect() {
        for (int round = 0; round < 4; round++) {
            System.gc();
            try {
                Thread.sleep(25); // references are enqueued by the reference-handler thread, not by gc() itself
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // the buffer detector polls its reference queue whenever it tracks a new buffer
            for (ByteBufAllocator alloc : new ByteBufAllocator[]{
                    ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT}) {
                alloc.heapBuffer(1).release();
                alloc.directBuffer(1).release();
            }
            Unpooled.buffer(1).release();
        }
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }

    private static boolean bufferDetectorIsRecording() {
        try {
            Field field = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
            field.setAccessible(true);
            return field.get(null) instanceof RecordingDetector;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // a Netty without that field: cannot check, assume the factory was used
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true; // the default asks whether error logging is on; a test must fail either way
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            // not logged as well: the failure carries the records, and a test that leaks on
            // purpose (LeakDetectionTest) should not print an ERROR into a green build
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected (no records).");
        }
    }
}
