package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers: feeding a client codec through an {@link EmbeddedChannel}, describing commands, bytes. */
final class Decoding {
    static final ClientLimits LIMITS = new ClientLimits(1024 * 1024, 1024, 4096);

    private Decoding() {
    }

    static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(ByteBuf buf) {
        return buf.toString(buf.readerIndex(), buf.readableBytes(), StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        int length = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    /**
     * Decodes {@code input}, cut into chunks at {@code cuts}, through a ByteToMessageDecoder as the
     * engine would (cumulation, reader index kept between calls); returns each command described.
     */
    static List<String> describeAll(ClientLimits limits, byte[] input, int... cuts) {
        List<String> out = new ArrayList<>();
        for (Command command : decodeAll(new MemcachedProtocol().newClientCodec(limits), input, cuts)) {
            out.add(describe(command));
            command.release();
        }
        return out;
    }

    /** The commands, which the caller must release. */
    static List<Command> decodeAll(ClientCodec codec, byte[] input, int... cuts) {
        EmbeddedChannel channel = new EmbeddedChannel(new ByteToMessageDecoder() {
            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
                for (Command command; (command = codec.decode(in)) != null; ) {
                    out.add(command);
                }
            }
        });
        int from = 0;
        for (int cut : cuts) {
            channel.writeInbound(Unpooled.wrappedBuffer(input, from, cut - from));
            from = cut;
        }
        channel.writeInbound(Unpooled.wrappedBuffer(input, from, input.length - from));
        List<Command> commands = new ArrayList<>();
        for (Object o; (o = channel.readInbound()) != null; ) {
            commands.add((Command) o);
        }
        channel.finishAndReleaseAll();
        return commands;
    }

    /** Everything a command carries, as one comparable line. */
    static String describe(Command c) {
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i < c.keyCount(); i++) {
            keys.append(i == 0 ? "" : ",").append(text(c.key(i)));
        }
        return c.name() + " " + c.kind() + " [" + escape(text(c.frame())) + "] keys=" + keys + " " + c.detail()
                + (c.rejection() == null ? "" : " rejection=" + c.rejection());
    }

    static String escape(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    /** Asserts that every split of {@code input} in two, and byte-by-byte feeding, decodes as the whole does. */
    static List<String> assertSplitInvariant(ClientLimits limits, byte[] input) {
        List<String> whole = describeAll(limits, input);
        for (int cut = 1; cut < input.length; cut++) {
            assertThat(describeAll(limits, input, cut)).as("split at %d", cut).isEqualTo(whole);
        }
        int[] everyByte = new int[Math.max(0, input.length - 1)];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        assertThat(describeAll(limits, input, everyByte)).as("byte by byte").isEqualTo(whole);
        return whole;
    }

    /** A context that records a close request; replies come from the default allocator. */
    static class Context implements ClientContext {
        boolean closed;

        @Override
        public ByteBufAllocator alloc() {
            return ByteBufAllocator.DEFAULT;
        }

        @Override
        public long id() {
            return 1;
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1:1";
        }

        @Override
        public String listenerName() {
            return "test";
        }

        @Override
        public void closeAfterReply() {
            closed = true;
        }
    }

    /** {@code buf} as text, released. */
    static String drain(ByteBuf buf) {
        try {
            return text(buf);
        } finally {
            buf.release();
        }
    }

    static String hex(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }

    /** Whether the client is shown {@code reply} (which stays the caller's) to {@code command}. */
    static boolean shows(io.metacluster.spi.ClientCodec codec, io.metacluster.spi.Command command, io.netty.buffer.ByteBuf reply) {
        io.netty.buffer.ByteBuf presented = codec.present(command, reply.retain());
        if (presented == null) {
            return false;
        }
        presented.release();
        return true;
    }
}
