package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;

class MetaCommandTest {
    private final ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);

    private Command decodeOne(String input) {
        List<Command> commands = decodeAll(codec, bytes(input));
        assertThat(commands).hasSize(1);
        return commands.get(0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mg k v f t\\r\\n                | mg | READ  | mg k v f t\\r\\n            | META | NONE",
            "mg k v q k O123\\r\\n           | mg | READ  | mg k v k O123\\r\\n         | META | META_MISS",
            "mg k q\\r\\n                    | mg | READ  | mg k\\r\\n                  | META | META_MISS",
            "mg k   q   v\\r\\n              | mg | READ  | mg k   v\\r\\n              | META | META_MISS",
            "mg a2V5 b v\\r\\n               | mg | READ  | mg a2V5 b v\\r\\n           | META | NONE",
            "ms k 2 T10 F5\\r\\nhi\\r\\n       | ms | WRITE | ms k 2 T10 F5\\r\\nhi\\r\\n   | META | NONE",
            "ms k 2 q MA\\r\\nhi\\r\\n         | ms | WRITE | ms k 2 MA\\r\\nhi\\r\\n       | META | META_SUCCESS",
            "ms k 0 q\\r\\n\\r\\n              | ms | WRITE | ms k 0\\r\\n\\r\\n            | META | META_SUCCESS",
            "md k q\\r\\n                    | md | WRITE | md k\\r\\n                  | META | META_SUCCESS",
            "md k I T30\\r\\n                | md | WRITE | md k I T30\\r\\n            | META | NONE",
            "ma k q D5 N0 v\\r\\n            | ma | WRITE | ma k D5 N0 v\\r\\n          | META | META_ARITHMETIC",
            "ma k MD\\r\\n                   | ma | WRITE | ma k MD\\r\\n               | META | NONE",
            "me k\\r\\n                      | me | READ  | me k\\r\\n                  | LINE | NONE",
            "mn\\r\\n                        | mn | ADMIN | mn\\r\\n                    | LINE | NONE",
    })
    void decodesMetaCommands(String input, String name, CommandKind kind, String frame, ReplyShape shape, Quiet quiet) {
        String in = TextRequestDecoderTest.unescape(input);
        Command command = decodeOne(in);
        try {
            assertThat(command.name()).isEqualTo(name);
            assertThat(command.kind()).isEqualTo(kind);
            assertThat(text(command.frame())).isEqualTo(TextRequestDecoderTest.unescape(frame));
            Request request = (Request) command.detail();
            assertThat(request.shape()).isEqualTo(shape);
            assertThat(request.quiet()).isEqualTo(quiet);
            if (!name.equals("mn")) {
                assertThat(text(command.key(0))).isEqualTo(in.split(" ")[1].split("\r")[0]);
            }
        } finally {
            command.release();
        }
        assertSplitInvariant(LIMITS, bytes(in));
    }

    /** What memcached 1.6.18 hides in quiet mode, checked against the real server by hand. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mg k v q     | EN                   | false",
            "mg k v q     | VA 2                 | true",
            "mg k q       | HD                   | true",
            "mg k v q k   | EN kk                | false",
            "mg k q       | CLIENT_ERROR bad     | true",
            "ms k 1 q     | HD                   | false",
            "ms k 1 q     | NS                   | true",
            "ms k 1 q     | EX                   | true",
            "ms k 1 q     | NF                   | true",
            "md k q       | HD                   | false",
            "md k q       | NF                   | true",
            "md k q       | EX                   | true",
            "ma k q       | HD                   | false",
            "ma k q v     | VA 1                 | false",
            "ma k q       | NF                   | true",
            "ma k q       | NS                   | true",
            "ma k q       | CLIENT_ERROR cannot increment or decrement non-numeric value | true",
            "mg k v       | EN                   | true",
            "ms k 1       | HD                   | true",
            "mg k v q     | ENX                  | true",
    })
    void quietModeHidesWhatMemcachedHides(String request, String reply, boolean shown) {
        Command command = decodeOne(request + "\r\n" + (request.startsWith("ms") ? "x\r\n" : ""));
        ByteBuf buf = Unpooled.copiedBuffer(bytes(reply + "\r\n" + (reply.startsWith("VA") ? "xy\r\n" : "")));
        try {
            assertThat(Decoding.shows(codec, command, buf)).isEqualTo(shown);
        } finally {
            buf.release();
            command.release();
        }
    }

    @Test
    void quietErrorsAreShown() {
        Command refused = decodeOne("mg " + "k".repeat(251) + " v q\r\n");
        assertThat(refused.rejection()).isEqualTo("CLIENT_ERROR bad command line format");
        assertThat(drain(codec.error(ByteBufAllocator.DEFAULT, refused, refused.rejection()))).isEqualTo("CLIENT_ERROR bad command line format\r\n");
        refused.release();
    }

    @Test
    void base64KeysMayBeLongerThanPlainOnes() {
        String encoded = "a".repeat(TextRequestDecoder.MAX_BASE64_KEY_LENGTH);
        Command ok = decodeOne("mg " + encoded + " b v\r\n");
        assertThat(ok.kind()).isEqualTo(CommandKind.READ);
        assertThat(text(ok.key(0))).isEqualTo(encoded);
        ok.release();
        Command tooLong = decodeOne("mg " + encoded + "a b v\r\n");
        assertThat(tooLong.rejection()).isEqualTo("CLIENT_ERROR bad command line format");
        tooLong.release();
        Command plain = decodeOne("mg " + "a".repeat(251) + " v\r\n");
        assertThat(plain.kind()).isEqualTo(CommandKind.UNSUPPORTED);
        plain.release();
    }

    @Test
    void metaSetDataBlockIsLengthPrefixedAndChecked() {
        List<String> commands = assertSplitInvariant(LIMITS, bytes("ms k 5 q\r\nmn\r\nX\r\nms k 3\r\nhiXX\r\nmn\r\n"));
        assertThat(commands).satisfiesExactly(
                set -> assertThat(set).startsWith("ms WRITE [ms k 5\\r\\nmn\\r\\nX\\r\\n] keys=k"),
                bad -> assertThat(bad).endsWith("rejection=CLIENT_ERROR bad data chunk"),
                rest -> assertThat(rest).startsWith("unknown UNSUPPORTED [\\n]"),
                mn -> assertThat(mn).startsWith("mn ADMIN"));
    }
}
