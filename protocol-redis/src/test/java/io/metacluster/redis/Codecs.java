package io.metacluster.redis;

import io.metacluster.engine.ClientFrameDecoder;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: drive a codec through the engine's own ClientFrameDecoder and describe the results. */
final class Codecs {
    private Codecs() {
    }

    /** A decoded command, copied out so the buffers can be released at once. */
    record Decoded(String name, String kind, String frame, List<String> keys, String rejection) {
    }

    /**
     * Input as the engine gets it: from the default (pooled, direct) allocator. Unpooled heap
     * buffers would not do: Netty does not leak-track them, so a leak would go unnoticed.
     */
    static ByteBuf buf(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBufAllocator.DEFAULT.directBuffer(Math.max(1, bytes.length)).writeBytes(bytes);
    }

    static String text(ByteBuf buf) {
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    /** Feeds {@code chunks} one write at a time into a fresh codec and returns what came out. */
    static List<Object> decode(ClientLimits limits, String... chunks) {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder(new RedisClientCodec(limits)));
        channel.config().setAllocator(ByteBufAllocator.DEFAULT);
        List<Object> out = new ArrayList<>();
        try {
            for (String chunk : chunks) {
                channel.writeInbound(buf(chunk));
                drain(channel, out);
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        return out;
    }

    static List<Object> decode(String... chunks) {
        return decode(ClientLimits.DEFAULTS, chunks);
    }

    private static void drain(EmbeddedChannel channel, List<Object> out) {
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            if (msg instanceof Command command) {
                out.add(describe(command));
                command.release();
            } else {
                out.add(msg);
            }
        }
    }

    static Decoded describe(Command command) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < command.keyCount(); i++) {
            keys.add(text(command.key(i)));
        }
        return new Decoded(command.name(), command.kind().name(), text(command.frame()), keys, command.rejection());
    }

    /** The command {@code codec} decodes from the multibulk of {@code words}; the caller releases it. */
    static Command command(ClientCodec codec, String... words) throws ProtocolException {
        ByteBuf in = buf(mb(words));
        try {
            return codec.decode(in);
        } finally {
            in.release();
        }
    }

    /** The multibulk encoding of words. */
    static String mb(String... words) {
        StringBuilder s = new StringBuilder("*").append(words.length).append("\r\n");
        for (String w : words) {
            s.append('$').append(w.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n").append(w).append("\r\n");
        }
        return s.toString();
    }

    static class Context implements ClientContext {
        boolean closeAfterReply;

        @Override
        public ByteBufAllocator alloc() {
            return ByteBufAllocator.DEFAULT;
        }

        @Override
        public long id() {
            return 42;
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1:5555";
        }

        @Override
        public String listenerName() {
            return "main";
        }

        @Override
        public void closeAfterReply() {
            closeAfterReply = true;
        }
    }
}
