package io.metacluster.testing;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.CommandSplitter;
import io.metacluster.spi.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ByteProcessor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A protocol small enough to read at a glance, for tests of the engine itself: one request per
 * line, {@code NAME arg...\r\n}, one reply per line, an error reply starts with {@code -}.
 *
 * <ul>
 *   <li>{@code SET key value} and {@code DEL key...} are writes (DEL splits over nodes, its
 *       replies {@code :n} are summed); {@code RENAME from to} a write of two keys that does not
 *       split; {@code FLUSH} is a keyless write and the protocol's {@link #flushRequest()};</li>
 *   <li>{@code GET key} is a read, {@code MGET key...} a read that splits over nodes (its reply
 *       {@code +v1 v2 ...} is joined back in key order);</li>
 *   <li>{@code PING} is answered by the proxy ({@code +PONG}); anything else is refused.</li>
 * </ul>
 *
 * With {@link #withHello()}, every backend connection starts with {@code HELLO\r\n}, and is
 * only used once that is answered: so a test decides when a node becomes reachable.
 */
public final class LineProtocol implements Protocol {
    private final boolean hello;
    private final int lanes;

    private LineProtocol(boolean hello, int lanes) {
        this.hello = hello;
        this.lanes = lanes;
    }

    /** Backend connections are usable as soon as they are open. */
    public static LineProtocol plain() {
        return new LineProtocol(false, 1);
    }

    /** Backend connections say {@code HELLO} first and wait for its answer. */
    public static LineProtocol withHello() {
        return new LineProtocol(true, 1);
    }

    /**
     * With hellos, and two lanes (two kinds of backend connection, like memcached's text and
     * binary): a request whose name ends in {@code 2} ({@code SET2 key value}) goes on lane 1.
     */
    public static LineProtocol withHelloAndTwoLanes() {
        return new LineProtocol(true, 2);
    }

    @Override
    public int backendLanes() {
        return lanes;
    }

    @Override
    public String name() {
        return "line";
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        return new Client(lanes);
    }

    @Override
    public byte[] flushRequest() {
        return "FLUSH\r\n".getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return new BackendCodec() {
            @Override
            public List<ByteBuf> handshake(ByteBufAllocator alloc) {
                return hello ? List.of(ascii(alloc, "HELLO\r\n")) : List.of();
            }

            @Override
            public int replyLength(ByteBuf in, Command request) {
                return lineLength(in);
            }

            @Override
            public boolean isError(Command request, ByteBuf reply) {
                return reply.getByte(reply.readerIndex()) == '-';
            }
        };
    }

    /** {@code text} in a buffer of {@code alloc} (pooled, so that a leak is caught). */
    public static ByteBuf ascii(ByteBufAllocator alloc, String text) {
        ByteBuf buf = alloc.buffer(text.length());
        buf.writeCharSequence(text, StandardCharsets.US_ASCII);
        return buf;
    }

    /** The length of the line at the reader index, {@code \r\n} included, or -1 when incomplete. */
    private static int lineLength(ByteBuf in) {
        int end = in.forEachByte(in.readerIndex(), in.readableBytes(), ByteProcessor.FIND_LF);
        return end < 0 ? -1 : end + 1 - in.readerIndex();
    }

    private static final class Client implements ClientCodec, CommandSplitter {
        private final int lanes;

        Client(int lanes) {
            this.lanes = lanes;
        }

        @Override
        public Command decode(ByteBuf in) {
            int length = lineLength(in);
            if (length < 0) {
                return null;
            }
            ByteBuf frame = in.readRetainedSlice(length);
            String line = frame.toString(0, length - 2, StandardCharsets.US_ASCII);
            String[] words = line.split(" ");
            String name = words[0];
            int lane = lanes > 1 && name.endsWith("2") ? 1 : 0;
            name = lane == 1 ? name.substring(0, name.length() - 1) : name;
            List<Integer> ranges = new ArrayList<>();
            int at = words[0].length() + 1;
            for (int i = 1; i < words.length; i++) {
                if (!name.equals("SET") || i == 1) {
                    ranges.add(at);
                    ranges.add(words[i].length());
                }
                at += words[i].length() + 1;
            }
            int[] keys = ranges.stream().mapToInt(Integer::intValue).toArray();
            return switch (name) {
                case "SET", "DEL", "RENAME", "FLUSH" -> Command.of(frame, name, CommandKind.WRITE, keys, null, lane);
                case "GET", "MGET" -> Command.of(frame, name, CommandKind.READ, keys, null, lane);
                case "PING" -> Command.of(frame, name, CommandKind.ADMIN, null, null);
                default -> Command.unsupported(frame, name, "unknown command " + name, null);
            };
        }

        @Override
        public ByteBuf answer(Command command, ClientContext context) {
            return ascii(context.alloc(), "+PONG\r\n");
        }

        @Override
        public ByteBuf error(ByteBufAllocator alloc, Command command, String message) {
            return ascii(alloc, "-ERR " + message + "\r\n");
        }

        @Override
        public CommandSplitter splitter() {
            return this;
        }

        @Override
        public Command part(Command command, int[] keys, int count) {
            if (!command.name().equals("MGET") && !command.name().equals("DEL")) {
                return null;
            }
            StringBuilder line = new StringBuilder(command.name());
            for (int i = 0; i < count; i++) {
                line.append(' ').append(command.key(keys[i]).toString(StandardCharsets.US_ASCII));
            }
            ByteBuf frame = ascii(command.frame().alloc(), line.append("\r\n").toString());
            try {
                return decode(frame);
            } finally {
                frame.release();
            }
        }

        @Override
        public ByteBuf join(Command command, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc) {
            String[] texts = new String[replies.length];
            for (int p = 0; p < replies.length; p++) {
                texts[p] = replies[p].toString(StandardCharsets.US_ASCII).trim();
                replies[p].release();
            }
            if (command.name().equals("DEL")) {
                int deleted = 0;
                for (String text : texts) {
                    deleted += Integer.parseInt(text.substring(1));
                }
                return ascii(alloc, ":" + deleted + "\r\n");
            }
            String[] values = new String[command.keyCount()];
            for (int p = 0; p < texts.length; p++) {
                String[] partValues = texts[p].substring(1).split(" ");
                for (int k = 0; k < keysOfParts[p].length; k++) {
                    values[keysOfParts[p][k]] = partValues[k];
                }
            }
            return ascii(alloc, "+" + String.join(" ", values) + "\r\n");
        }
    }
}
