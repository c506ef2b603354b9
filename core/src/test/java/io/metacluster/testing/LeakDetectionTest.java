package io.metacluster.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeakDetectionTest {

    @Test
    void aLeakedBufferFailsTheCheckAndIsConsumedByIt() {
        leakOneBuffer();
        assertThatThrownBy(() -> LeakDetection.assertNoLeaks("LeakDetectionTest"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 Netty resource leak(s) detected in LeakDetectionTest")
                .hasMessageContaining("ByteBuf.release() was not called")
                .hasMessageContaining("leakOneBuffer"); // the access records name the leaking method
        // consumed: the class itself passes the check that runs after it
        assertThat(LeakDetection.collect()).isEmpty();
    }

    @Test
    void releasedBuffersAreNotLeaks() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        buf.writeLong(42);
        buf.release();
        assertThat(LeakDetection.collect()).isEmpty();
    }

    private static void leakOneBuffer() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        buf.writeInt(7); // a recorded access, so the report carries a trace
        // dropped without release()
    }
}
