package io.metacluster.redis;

import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RespSplitterTest {

    /** One complete frame of every type, RESP2 and RESP3, nested and attributed. */
    static final String[] FRAMES = {
            "+OK\r\n",
            "-ERR unknown command 'foo'\r\n",
            ":1000\r\n",
            ":-1\r\n",
            "$5\r\nhello\r\n",
            "$0\r\n\r\n",
            "$-1\r\n",
            "$12\r\nwith\r\nCRLF\r\n\r\n", // payload is skipped by length, never scanned
            "*0\r\n",
            "*-1\r\n",
            "*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n",
            "*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n*1\r\n$1\r\nx\r\n",
            "_\r\n",
            ",3.14\r\n",
            ",-inf\r\n",
            "#t\r\n",
            "(3492890328409238509324850943850943825024385\r\n",
            "!21\r\nSYNTAX invalid syntax\r\n",
            "=15\r\ntxt:Some string\r\n",
            "%2\r\n+first\r\n:1\r\n+second\r\n*2\r\n:2\r\n:3\r\n",
            "%0\r\n",
            "~3\r\n+a\r\n+b\r\n~0\r\n",
            ">3\r\n+message\r\n+channel\r\n$5\r\nhello\r\n",
            "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
            "*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n+after-attribute\r\n",
            "|0\r\n+OK\r\n",
            "|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n$1\r\nz\r\n", // attributes may stack
    };

    @Test
    void everyTypeIsOneFrame() throws Exception {
        for (String frame : FRAMES) {
            ByteBuf in = buf(frame + "+NEXT\r\n");
            try {
                assertThat(RespSplitter.lengthOf(in, 0)).as(frame).isEqualTo(frame.length());
            } finally {
                in.release();
            }
        }
    }

    @Test
    void incompleteAtEveryByteThenCompleteAtEveryBoundary() throws Exception {
        for (String frame : FRAMES) {
            for (int cut = 0; cut < frame.length(); cut++) {
                // stateless: every proper prefix is incomplete
                ByteBuf prefix = buf(frame.substring(0, cut));
                try {
                    assertThat(RespSplitter.lengthOf(prefix, 0)).as("%s cut at %d", frame, cut).isEqualTo(-1);
                } finally {
                    prefix.release();
                }
                // resumable: the same instance sees the prefix, then the rest appended
                RespSplitter splitter = new RespSplitter();
                ByteBuf growing = Unpooled.buffer();
                try {
                    growing.writeBytes(frame.substring(0, cut).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    assertThat(splitter.frameLength(growing)).isEqualTo(-1);
                    growing.writeBytes(frame.substring(cut).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    assertThat(splitter.frameLength(growing)).as("%s resumed at %d", frame, cut).isEqualTo(frame.length());
                } finally {
                    growing.release();
                }
            }
        }
    }

    @Test
    void byteByByteWithOneSplitterFindsEveryFrameOfAPipeline() throws Exception {
        String all = String.join("", FRAMES);
        RespSplitter splitter = new RespSplitter();
        ByteBuf in = Unpooled.buffer();
        List<String> frames = new ArrayList<>();
        try {
            for (int i = 0; i < all.length(); i++) {
                in.writeByte(all.charAt(i));
                int length;
                while (in.isReadable() && (length = splitter.frameLength(in)) > 0) {
                    frames.add(in.readSlice(length).toString(java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                if (i % 7 == 0) {
                    in.discardReadBytes(); // as ByteToMessageDecoder compacts its cumulation
                }
            }
        } finally {
            in.release();
        }
        assertThat(frames).containsExactly(FRAMES);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "?\r\n", "x\r\n", "\r\n", "*2x\r\n", "$abc\r\n", "$-2\r\n", "*-2\r\n", "=-1\r\n", "$01\r\nx\r\n",
            "$3\r\nfooXY", "+OK\rX", "$99999999999999999999999\r\n", "$?\r\n", "*?\r\n", "%-1\r\n",
            "*1\r\n$1\r\nab\r\n", ";5\r\n", ".\r\n"
    })
    void malformedRepliesAreRefused(String input) {
        ByteBuf in = buf(input);
        try {
            assertThatThrownBy(() -> RespSplitter.lengthOf(in, 0)).isInstanceOf(ProtocolException.class)
                    .hasMessageStartingWith("Protocol error: ");
        } finally {
            in.release();
        }
    }

    @Test
    void streamedTypesAreNamed() {
        ByteBuf in = buf("$?\r\n;4\r\nHell\r\n;0\r\n");
        try {
            assertThatThrownBy(() -> RespSplitter.lengthOf(in, 0)).hasMessageContaining("streamed").hasMessageContaining("$?");
        } finally {
            in.release();
        }
    }

    @Test
    void nestingIsBoundedWithoutRecursion() throws Exception {
        ByteBuf ok = buf("*1\r\n".repeat(RespSplitter.MAX_DEPTH) + ":1\r\n");
        ByteBuf deep = buf("*1\r\n".repeat(RespSplitter.MAX_DEPTH + 1) + ":1\r\n");
        ByteBuf hostile = buf("*1\r\n".repeat(1_000_000));
        try {
            assertThat(RespSplitter.lengthOf(ok, 0)).isEqualTo(ok.readableBytes());
            assertThatThrownBy(() -> RespSplitter.lengthOf(deep, 0)).hasMessage("Protocol error: reply nested deeper than " + RespSplitter.MAX_DEPTH + " levels");
            assertThatThrownBy(() -> RespSplitter.lengthOf(hostile, 0)).isInstanceOf(ProtocolException.class);
        } finally {
            ok.release();
            deep.release();
            hostile.release();
        }
    }

    @Test
    void hugeDeclaredLengthsWaitWithoutAllocating() throws Exception {
        ByteBuf in = buf("*2147483647\r\n:1\r\n$2147483000\r\nabc");
        try {
            assertThat(RespSplitter.lengthOf(in, 0)).isEqualTo(-1);
        } finally {
            in.release();
        }
    }

    @Test
    void decimalsFollowRedisRules() {
        String[][] cases = {{"0", "0"}, {"12", "12"}, {"-1", "-1"}, {"9223372036854775807", "9223372036854775807"},
                {"", null}, {"-", null}, {"+1", null}, {"01", null}, {"-0", null}, {" 1", null}, {"1 ", null},
                {"9223372036854775808", null}, {"1a", null}};
        for (String[] c : cases) {
            ByteBuf in = buf(c[0]);
            try {
                long parsed = RespSplitter.parseDecimal(in, 0, c[0].length());
                assertThat(parsed == Long.MIN_VALUE ? null : Long.toString(parsed)).as("'%s'", c[0]).isEqualTo(c[1]);
            } finally {
                in.release();
            }
        }
    }
}
