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
import org.junit.jupiter.params.provider.ValueSource;

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
            "mg k v N30\\r\\n                | mg | WRITE | mg k v N30\\r\\n            | META | NONE",
            "mg k v T60 q\\r\\n              | mg | WRITE | mg k v T60\\r\\n            | META | META_MISS",
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

    /** memcached 1.6.18 checks the key token's length before it decodes base64, and before it reads an ms value. */
    @Test
    void keyTokensOver250BytesAreRefusedBase64OrNot() {
        String encoded = "a".repeat(TextRequestDecoder.MAX_KEY_LENGTH);
        Command ok = decodeOne("mg " + encoded + " b v\r\n");
        assertThat(ok.kind()).isEqualTo(CommandKind.READ);
        assertThat(text(ok.key(0))).isEqualTo(encoded);
        ok.release();
        for (String tooLong : List.of("mg " + encoded + "a b v\r\n", "mg " + "a".repeat(251) + " v\r\n", "md " + "a".repeat(336) + " b\r\n",
                "me " + "a".repeat(251) + "\r\n")) {
            Command refused = decodeOne(tooLong);
            assertThat(refused.rejection()).isEqualTo("CLIENT_ERROR bad command line format");
            refused.release();
        }
        // memcached refuses the ms before reading its value, and reads the value as the next command
        assertThat(describeAll(LIMITS, bytes("ms " + "a".repeat(252) + " 5 b\r\nget a\r\nmn\r\n"))).satisfiesExactly(
                refused -> assertThat(refused).endsWith("rejection=CLIENT_ERROR bad command line format"),
                value -> assertThat(value).startsWith("get READ [get a\\r\\n]"),
                mn -> assertThat(mn).startsWith("mn ADMIN"));
    }

    /** memcached reads only a flag's first byte: every token starting with q is the quiet flag, stripped when forwarded. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mg k v q0\\r\\n           | mg k v\\r\\n         | META_MISS",
            "md k q-1\\r\\n            | md k\\r\\n           | META_SUCCESS",
            "mg k v q\\r\\r\\n         | mg k v\\r\\n         | META_MISS",
            "ms k 1 qq\\r\\nx\\r\\n      | ms k 1\\r\\nx\\r\\n    | META_SUCCESS",
            "ma k quiet v\\r\\n        | ma k v\\r\\n         | META_ARITHMETIC",
            "me k q q\\r\\n            | me k q q\\r\\n       | NONE",
    })
    void everyFlagStartingWithQIsTheQuietFlag(String input, String frame, Quiet quiet) {
        TextRequestDecoderTest.assertDecodes(TextRequestDecoderTest.unescape(input), TextRequestDecoderTest.unescape(frame), quiet);
    }

    /** Refused as memcached 1.6.18 refuses them (its words), never forwarded: checked against the real server. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mg k v q q       | CLIENT_ERROR duplicate flag",
            "mg k q O1 q0     | CLIENT_ERROR duplicate flag",
            "mg k v v         | CLIENT_ERROR duplicate flag",
            "mg k v \u0080    | CLIENT_ERROR duplicate flag",
            "mg k z           | CLIENT_ERROR invalid flag",
            "mg k v x         | CLIENT_ERROR invalid flag",
            "md k q q         | CLIENT_ERROR invalid or duplicate flag",
            "ma k Z           | CLIENT_ERROR invalid or duplicate flag",
            "me               | CLIENT_ERROR bad command line format",
            "mg               | ERROR",
    })
    void flagsAreCheckedAsMemcachedChecksThem(String input, String rejection) {
        Command refused = decodeOne(input + "\r\n");
        assertThat(refused.kind()).isEqualTo(CommandKind.UNSUPPORTED);
        assertThat(refused.rejection()).isEqualTo(rejection);
        assertThat(drain(codec.error(ByteBufAllocator.DEFAULT, refused, refused.rejection()))).isEqualTo(rejection + "\r\n");
        refused.release();
    }

    /** Flag values are memcached's to refuse (one error line, its value swallowed): forwarded. */
    @ParameterizedTest
    @ValueSource(strings = {"mg k q Tx", "ma k q MZ", "ma k Dx", "md k q C-1", "mg k q O" + "1234567890123456789012345678901234567890"})
    void badFlagValuesAreForwarded(String input) {
        Command command = decodeOne(input + "\r\n");
        assertThat(command.kind()).isNotEqualTo(CommandKind.UNSUPPORTED);
        assertThat(text(command.frame())).doesNotContain(" q");
        command.release();
    }

    /** A meta line of 20 tokens or more: memcached refuses it before reading an ms value; the proxy refuses and swallows it. */
    @Test
    void metaLinesOfTwentyTokensOrMoreAreRefused() {
        String flags17 = " k s t c f v h u l O1 P L I T1 N1 R1 F1";
        Command mg = decodeOne("mg k" + flags17 + "\r\n");
        assertThat(mg.kind()).as("19 tokens, with T and N: a write").isEqualTo(CommandKind.WRITE);
        mg.release();
        Command tooMany = decodeOne("mg k" + flags17 + " J1\r\n");
        assertThat(tooMany.rejection()).isEqualTo("CLIENT_ERROR options flags are too long");
        tooMany.release();
        Command md = decodeOne("md k" + flags17 + " J1\r\n");
        assertThat(md.rejection()).isEqualTo("CLIENT_ERROR options flags too long");
        md.release();
        Command quietStillCounts = decodeOne("ma k" + flags17.replace(" k ", " q ") + " J1\r\n");
        assertThat(quietStillCounts.rejection()).as("counted before q is stripped").isEqualTo("CLIENT_ERROR options flags too long");
        quietStillCounts.release();
        assertThat(describeAll(LIMITS, bytes("ms k 5" + flags17.substring(0, flags17.lastIndexOf(' ')) + "\r\nhello\r\n")))
                .singleElement().asString().startsWith("ms WRITE");
        // refused before its value is read: memcached reads the value as the next command
        assertThat(assertSplitInvariant(LIMITS, bytes("ms k 5" + flags17 + "\r\nget a\r\nmn\r\n"))).satisfiesExactly(
                refused -> assertThat(refused).endsWith("rejection=CLIENT_ERROR options flags too long"),
                value -> assertThat(value).startsWith("get READ [get a\\r\\n]"),
                mn -> assertThat(mn).startsWith("mn ADMIN"));
    }

    /** Refused ms flags swallow the value, as memcached does once it read the value length. */
    @Test
    void anMsRefusedForItsFlagsSwallowsItsValue() {
        assertThat(describeAll(LIMITS, bytes("ms k 5 q q\r\nget a\r\nms k 5 z\r\nget a\r\nmn\r\n"))).satisfiesExactly(
                duplicate -> assertThat(duplicate).endsWith("rejection=CLIENT_ERROR duplicate flag"),
                invalid -> assertThat(invalid).endsWith("rejection=CLIENT_ERROR invalid flag"),
                mn -> assertThat(mn).startsWith("mn ADMIN"));
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
