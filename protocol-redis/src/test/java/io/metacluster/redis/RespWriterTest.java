package io.metacluster.redis;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static org.assertj.core.api.Assertions.assertThat;

/** The RESP the proxy writes, byte for byte. */
class RespWriterTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static String written(Consumer<ByteBuf> write) {
        ByteBuf out = ALLOC.buffer();
        try {
            write.accept(out);
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    private static String taken(ByteBuf reply) {
        try {
            return reply.toString(StandardCharsets.UTF_8);
        } finally {
            reply.release();
        }
    }

    @Test
    void aCommandIsAnArrayOfBulkStringsInUtf8() {
        assertThat(taken(RespWriter.command(ALLOC, "SET", "k", "é"))).isEqualTo("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n");
        assertThat(taken(RespWriter.command(ALLOC, "PING"))).isEqualTo(mb("PING"));
    }

    @Test
    void headersAndIntegers() {
        assertThat(written(out -> RespWriter.arrayHeader(out, 0))).isEqualTo("*0\r\n");
        assertThat(written(out -> RespWriter.arrayHeader(out, 12))).isEqualTo("*12\r\n");
        assertThat(written(out -> RespWriter.bulkHeader(out, -1))).isEqualTo("$-1\r\n");
        assertThat(written(out -> RespWriter.integer(out, -42))).isEqualTo(":-42\r\n");
        assertThat(written(out -> RespWriter.integer(out, Long.MAX_VALUE))).isEqualTo(":9223372036854775807\r\n");
    }

    @Test
    void aBulkStringTellsWhereItsPayloadStarts() {
        ByteBuf out = ALLOC.buffer();
        ByteBuf src = buf("xxkeyxx");
        try {
            RespWriter.arrayHeader(out, 2);
            int first = RespWriter.bulk(out, "hello".getBytes(StandardCharsets.US_ASCII));
            int second = RespWriter.bulk(out, src, src.readerIndex() + 2, 3);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("*2\r\n$5\r\nhello\r\n$3\r\nkey\r\n");
            assertThat(first).isEqualTo(8);
            assertThat(out.toString(first, 5, StandardCharsets.US_ASCII)).isEqualTo("hello");
            assertThat(out.toString(second, 3, StandardCharsets.US_ASCII)).isEqualTo("key");
            assertThat(src.readerIndex()).as("the source is not consumed").isZero();
        } finally {
            out.release();
            src.release();
        }
    }

    @Test
    void aBulkStringOfAWholeBufferLeavesItsIndexes() {
        ByteBuf value = buf("v\r\n");
        try {
            assertThat(written(out -> RespWriter.bulk(out, value))).isEqualTo("$3\r\nv\r\n\r\n");
            assertThat(value.readableBytes()).isEqualTo(3);
        } finally {
            value.release();
        }
    }

    @Test
    void simpleAndBulkReplies() {
        assertThat(taken(RespWriter.simple(ALLOC, "QUEUED"))).isEqualTo("+QUEUED\r\n");
        assertThat(taken(RespWriter.bulk(ALLOC, new byte[0]))).isEqualTo("$0\r\n\r\n");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "wrong number of arguments   | -ERR wrong number of arguments",
            "WRONGTYPE Operation against | -WRONGTYPE Operation against",
            "EXECABORT Transaction       | -EXECABORT Transaction",
            "NOAUTH                      | -NOAUTH",
            "ERR already coded           | -ERR already coded",
            "Wrongtype is not a code     | -ERR Wrongtype is not a code",
            "two\\nlines\\rhere          | -ERR two lines here",
    })
    void errorsAreWordedAsRedisWordsThem(String message, String expected) {
        String text = message.replace("\\n", "\n").replace("\\r", "\r");
        assertThat(taken(RespWriter.error(ALLOC, text))).isEqualTo(expected + "\r\n");
    }
}
