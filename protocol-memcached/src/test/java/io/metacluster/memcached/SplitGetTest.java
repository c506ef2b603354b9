package io.metacluster.memcached;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A text multi-get split by node over a sharded pool, and the parts' replies joined. */
class SplitGetTest {
    private final MemcachedClientCodec codec = new MemcachedClientCodec(ClientLimits.DEFAULTS);

    private static ByteBuf buf(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return ByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
    }

    private static String text(ByteBuf buf) {
        return buf.toString(StandardCharsets.US_ASCII);
    }

    private Command decode(String line) throws Exception {
        ByteBuf in = buf(line);
        try {
            return codec.decode(in);
        } finally {
            in.release();
        }
    }

    @Test
    void getsAreSplitAndTheirValuesJoinedUnderOneEnd() throws Exception {
        Command gets = decode("gets a bb c\r\n");
        Command first = codec.part(gets, new int[] {0, 2}, 2);
        Command second = codec.part(gets, new int[] {1}, 1);
        try {
            assertThat(text(first.frame())).isEqualTo("gets a c\r\n");
            assertThat(first.keyCount()).isEqualTo(2);
            assertThat(text(first.key(1))).isEqualTo("c");
            assertThat(text(second.frame())).isEqualTo("gets bb\r\n");
            ByteBuf joined = codec.join(gets, new ByteBuf[] {
                    buf("VALUE a 0 1 7\r\nx\r\nEND\r\n"), buf("END\r\n")}, new int[][] {{0, 2}, {1}}, ByteBufAllocator.DEFAULT);
            assertThat(text(joined)).isEqualTo("VALUE a 0 1 7\r\nx\r\nEND\r\n");
            joined.release();
        } finally {
            gets.release();
            first.release();
            second.release();
        }
    }

    @Test
    void otherCommandsAreNotSplit() throws Exception {
        Command gat = decode("gat 10 a b\r\n");
        Command mg = decode("mg a v\r\n");
        try {
            assertThat(codec.part(gat, new int[] {0}, 1)).isNull();
            assertThat(codec.part(mg, new int[] {0}, 1)).isNull();
        } finally {
            gat.release();
            mg.release();
        }
    }
}
