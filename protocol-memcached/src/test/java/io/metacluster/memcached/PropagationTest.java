package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.List;

import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Lanes, which writes are conditional, and what an applied conditional write becomes on the other clusters. */
class PropagationTest {
    private final ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);

    private Command decodeOne(byte[] input) {
        List<Command> commands = decodeAll(codec, input);
        assertThat(commands).hasSize(1);
        return commands.get(0);
    }

    /** The propagation of {@code request} after {@code reply}, described, or "none"; everything released. */
    private String propagate(byte[] request, byte[] reply) {
        Command command = decodeOne(request);
        ByteBuf replyBuf = ByteBufAllocator.DEFAULT.buffer().writeBytes(reply);
        try {
            Command follow = codec.conditionalWrites().propagation(command, replyBuf, ByteBufAllocator.DEFAULT);
            if (follow == null) {
                return "none";
            }
            try {
                assertThat(follow.kind()).isEqualTo(CommandKind.WRITE);
                assertThat(follow.lane()).isEqualTo(command.lane());
                assertThat(text(follow.key(0))).isEqualTo(text(command.key(0)));
                Request detail = (Request) follow.detail();
                assertThat(detail.quiet()).isEqualTo(Quiet.NONE);
                return command.lane() == MemcachedProtocol.BINARY_LANE ? hex(follow.frame()) : escape(text(follow.frame()));
            } finally {
                follow.release();
            }
        } finally {
            assertThat(replyBuf.refCnt()).as("the reply is not retained").isEqualTo(1);
            replyBuf.release();
            command.release();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "cas k 5 60 2 77\\r\\nhi\\r\\n              | STORED\\r\\n     | set k 5 60 2\\r\\nhi\\r\\n",
            "cas  k  5  60  2  77  noreply\\r\\nhi\\r\\n | STORED\\r\\n     | set k 5 60 2\\r\\nhi\\r\\n",
            "cas k 0 0 0 1\\r\\n\\r\\n                   | STORED\\r\\n     | set k 0 0 0\\r\\n\\r\\n",
            "cas k 0 0 2 77\\r\\nhi\\r\\n               | EXISTS\\r\\n     | none",
            "cas k 0 0 2 77\\r\\nhi\\r\\n               | NOT_FOUND\\r\\n  | none",
            "cas k 0 0 2 77\\r\\nhi\\r\\n               | SERVER_ERROR x\\r\\n | none",
            "ms k 2 C77 T60 F5 q O9 k c\\r\\nhi\\r\\n   | HD\\r\\n         | ms k 2 T60 F5\\r\\nhi\\r\\n",
            "ms k 2 C77 MA N30\\r\\nhi\\r\\n            | HD c78\\r\\n     | ms k 2 MA N30\\r\\nhi\\r\\n",
            "ms k 2 C77 Mp\\r\\nhi\\r\\n                 | HD\\r\\n         | ms k 2 Mp\\r\\nhi\\r\\n",
            "ms k 2 C77 ME I\\r\\nhi\\r\\n               | HD\\r\\n         | ms k 2 I\\r\\nhi\\r\\n",
            "ms a2V5 2 b C77 MR\\r\\nhi\\r\\n            | HD\\r\\n         | ms a2V5 2 b\\r\\nhi\\r\\n",
            "ms k 2 C77\\r\\nhi\\r\\n                    | EX\\r\\n         | none",
            "ms k 2 C77\\r\\nhi\\r\\n                    | NS\\r\\n         | none",
            "md k C77 q I T30 k\\r\\n                    | HD\\r\\n         | md k I T30",
            "md k C77\\r\\n                             | NF\\r\\n         | none",
            "ma k C77 MD D3 v N0 J5 t\\r\\n              | VA 1\\r\\n2\\r\\n  | ma k MD D3 N0 J5",
            "ma k C77\\r\\n                             | HD\\r\\n         | ma k",
            "ma k C77\\r\\n                             | EX\\r\\n         | none",
    })
    void textAndMeta(String request, String reply, String expected) {
        String in = TextRequestDecoderTest.unescape(request);
        Command command = decodeOne(bytes(in));
        try {
            assertThat(command.kind()).isEqualTo(CommandKind.CONDITIONAL_WRITE);
            assertThat(command.lane()).isEqualTo(MemcachedProtocol.TEXT_LANE);
        } finally {
            command.release();
        }
        String out = propagate(bytes(in), bytes(TextRequestDecoderTest.unescape(reply)));
        assertThat(out).isEqualTo(expected.equals("none") ? "none" : expected + (expected.contains("\\r\\n") ? "" : "\\r\\n"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "set k 0 0 2\\r\\nhi\\r\\n     | WRITE",
            "ms k 2 T5\\r\\nhi\\r\\n       | WRITE",
            "md k q\\r\\n                  | WRITE",
            "ma k\\r\\n                    | WRITE",
            "mg k c v\\r\\n                | READ",
            "gets k\\r\\n                  | READ",
    })
    void unconditionalTextStaysOnTheTextLane(String request, CommandKind kind) {
        Command command = decodeOne(bytes(TextRequestDecoderTest.unescape(request)));
        try {
            assertThat(command.kind()).isEqualTo(kind);
            assertThat(command.lane()).isEqualTo(MemcachedProtocol.TEXT_LANE);
        } finally {
            command.release();
        }
    }

    /** {@link BinaryRequestDecoderTest#valid} with a cas. */
    private static byte[] withCas(BinaryOpcode op, long cas) {
        byte[] request = BinaryRequestDecoderTest.valid(op, 42);
        ByteBuffer.wrap(request).putLong(16, cas);
        return request;
    }

    @ParameterizedTest
    @EnumSource(BinaryOpcode.class)
    void binaryOpcodesRideTheBinaryLaneAndACasMakesStorageConditional(BinaryOpcode op) {
        Command plain = decodeOne(withCas(op, 0));
        Command withCas = decodeOne(withCas(op, 77));
        try {
            assertThat(plain.kind()).isEqualTo(op.kind);
            if (op.kind != CommandKind.UNSUPPORTED) {
                assertThat(plain.lane()).isEqualTo(MemcachedProtocol.BINARY_LANE);
                assertThat(withCas.lane()).isEqualTo(MemcachedProtocol.BINARY_LANE);
            }
            boolean conditional = switch (op) {
                case SET, SETQ, ADD, ADDQ, REPLACE, REPLACEQ, APPEND, APPENDQ, PREPEND, PREPENDQ,
                     DELETE, DELETEQ, INCREMENT, INCREMENTQ, DECREMENT, DECREMENTQ -> true;
                default -> false;
            };
            assertThat(withCas.kind()).isEqualTo(conditional ? CommandKind.CONDITIONAL_WRITE : op.kind);
        } finally {
            plain.release();
            withCas.release();
        }
    }

    @ParameterizedTest
    @CsvSource({
            "SET, SET", "SETQ, SET", "ADD, SET", "ADDQ, SET", "REPLACE, SET", "REPLACEQ, SET",
            "APPEND, APPEND", "PREPENDQ, PREPEND", "DELETEQ, DELETE", "INCREMENT, INCREMENT", "DECREMENTQ, DECREMENT",
    })
    void anAppliedBinaryCasIsRepeatedLoudWithCasZero(BinaryOpcode op, BinaryOpcode as) {
        byte[] request = withCas(op, 77);
        byte[] expected = request.clone();
        expected[1] = (byte) as.code;
        ByteBuffer.wrap(expected).putLong(16, 0);
        byte[] ok = BinaryRequestDecoderTest.response(op.forwardCode, BinaryPacket.STATUS_SUCCESS, "", "", 42);
        assertThat(propagate(request, ok)).isEqualTo(io.netty.buffer.ByteBufUtil.hexDump(expected));
        for (int status : new int[] {BinaryPacket.STATUS_KEY_EXISTS, BinaryPacket.STATUS_KEY_NOT_FOUND,
                BinaryPacket.STATUS_ITEM_NOT_STORED, BinaryPacket.STATUS_INTERNAL_ERROR}) {
            byte[] refused = BinaryRequestDecoderTest.response(op.forwardCode, status, "", "", 42);
            assertThat(propagate(request, refused)).as("status %d", status).isEqualTo("none");
        }
    }

    @Test
    void theValueIsSharedNotCopied() {
        Command cas = decodeOne(bytes("cas k 0 0 5 9\r\nhello\r\n"));
        ByteBuf stored = ByteBufAllocator.DEFAULT.buffer().writeBytes(bytes("STORED\r\n"));
        Command set = codec.conditionalWrites().propagation(cas, stored, ByteBufAllocator.DEFAULT);
        try {
            ByteBuf value = set.frame().slice(set.frame().readerIndex() + "set k 0 0 5\r\n".length(), 7);
            cas.frame().setByte(cas.frame().readerIndex() + "cas k 0 0 5 9\r\n".length(), 'J');
            assertThat(text(value)).isEqualTo("Jello\r\n");
        } finally {
            set.release();
            stored.release();
            cas.release();
        }
    }
}
