package io.metacluster.engine;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.Pinning;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A small protocol for the engine's tests: a request is one text line, {@code NAME [KEY ...]},
 * which a Redis server also takes (an inline command), so a real {@code redis-server} can be its
 * backend; replies are RESP. {@code GET} is a read, {@code SET} a write, {@code SUBSCRIBE} and
 * {@code UNSUBSCRIBE} pin the client; {@code PING}, {@code QUIT} and {@code AUTH [user] password}
 * are answered by the proxy; anything else is refused. While pinned, {@code SUBSCRIBE},
 * {@code UNSUBSCRIBE} and {@code PING} are forwarded, {@code QUIT} is handled as usual and the
 * rest is refused; the {@code unsubscribe} reply that leaves no subscription ends the mode.
 */
final class InlineRedisProtocol implements Protocol {
    static final String PINNED_REFUSAL = "only SUBSCRIBE, UNSUBSCRIBE, PING and QUIT while subscribed";

    @Override
    public String name() {
        return "line";
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        return new Codec();
    }

    @Override
    public byte[] flushRequest() {
        return "FLUSHALL\r\n".getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return new Replies();
    }

    static final class Codec implements ClientCodec, Pinning {
        @Override
        public Command decode(ByteBuf in) throws ProtocolException {
            int eol = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (eol < 0) {
                return null;
            }
            if (eol == in.readerIndex() || in.getByte(eol - 1) != '\r') {
                throw new ProtocolException("a request ends with CRLF");
            }
            String line = in.toString(in.readerIndex(), eol - 1 - in.readerIndex(), StandardCharsets.US_ASCII);
            ByteBuf frame = in.readRetainedSlice(eol + 1 - in.readerIndex());
            String[] words = line.split(" ");
            String name = words[0].toUpperCase(Locale.ROOT);
            int keyOffset = words[0].length() + 1;
            return switch (name) {
                case "GET" -> Command.of(frame, name, CommandKind.READ, keyOffset, words[1].length(), null, 0);
                case "SET" -> Command.of(frame, name, CommandKind.WRITE, keyOffset, words[1].length(), null, 0);
                case "SUBSCRIBE", "UNSUBSCRIBE" -> Command.of(frame, name, CommandKind.PINNED, null, null);
                case "BLPOP" -> Command.of(frame, name, CommandKind.PINNED, keyOffset, words[1].length(), null, 0);
                case "PING", "QUIT", "AUTH" -> Command.of(frame, name, CommandKind.ADMIN, null, words);
                default -> Command.unsupported(frame, name, "unknown command '" + words[0] + "'", null);
            };
        }

        @Override
        public ByteBuf answer(Command command, ClientContext context) {
            String[] words = (String[]) command.detail();
            String reply = switch (command.name()) {
                case "PING" -> "+PONG\r\n";
                case "QUIT" -> {
                    context.closeAfterReply();
                    yield "+OK\r\n";
                }
                default -> context.authenticate(words.length > 2 ? words[1] : null, words[words.length - 1])
                        ? "+OK\r\n" : "-WRONGPASS invalid username-password pair\r\n";
            };
            return ByteBufUtil.writeAscii(context.alloc(), reply);
        }

        @Override
        public ByteBuf error(ByteBufAllocator alloc, Command command, String message) {
            return ByteBufUtil.writeAscii(alloc, "-ERR " + message + "\r\n");
        }

        @Override
        public Pinning pinning() {
            return this;
        }

        @Override
        public Pinning.Route whilePinned(Command command) {
            return switch (command.name()) {
                case "SUBSCRIBE", "UNSUBSCRIBE", "PING" -> Pinning.Route.FORWARD;
                case "QUIT" -> Pinning.Route.AS_USUAL;
                default -> Pinning.Route.REFUSE;
            };
        }

        @Override
        public String refusal(Command command) {
            return PINNED_REFUSAL;
        }

        /** BLPOP is a conversation of one command. */
        @Override
        public boolean conversation(Command first) {
            return first.name().equals("BLPOP");
        }

        @Override
        public boolean endsConversation(Command command) {
            return command.name().equals("BLPOP");
        }

        /** A BLPOP that popped becomes an LPOP of its key. */
        @Override
        public ConditionalWrites conditionalWrites() {
            return (command, reply, alloc) -> reply.getByte(reply.readerIndex()) != '*' || reply.getByte(reply.readerIndex() + 1) == '-'
                    ? null : Command.of(ByteBufUtil.writeAscii(alloc, "LPOP " + command.key(0).toString(StandardCharsets.US_ASCII)
                    + "\r\n"), "LPOP", CommandKind.WRITE, 5, command.keyLength(0), null, 0);
        }

        @Override
        public boolean endsPinning(ByteBuf message) {
            String text = message.toString(StandardCharsets.US_ASCII);
            return text.startsWith("*3\r\n$11\r\nunsubscribe\r\n") && text.endsWith("\r\n:0\r\n");
        }
    }

    /** RESP replies, framed; no hello. */
    static final class Replies implements BackendCodec {
        @Override
        public int replyLength(ByteBuf in, Command request) throws ProtocolException {
            int end = end(in, in.readerIndex());
            return end < 0 ? -1 : end - in.readerIndex();
        }

        private static int end(ByteBuf in, int at) throws ProtocolException {
            int eol = at < in.writerIndex() ? in.indexOf(at, in.writerIndex(), (byte) '\n') : -1;
            if (eol < 0) {
                return -1;
            }
            byte type = in.getByte(at);
            if (type == '+' || type == '-' || type == ':') {
                return eol + 1;
            }
            int count = Integer.parseInt(in.toString(at + 1, eol - 1 - at - 1, StandardCharsets.US_ASCII));
            if (type == '$') {
                int end = count < 0 ? eol + 1 : eol + 1 + count + 2;
                return end <= in.writerIndex() ? end : -1;
            }
            if (type != '*') {
                throw new ProtocolException("not a RESP reply: " + (char) type);
            }
            int next = eol + 1;
            for (int i = 0; i < count && next >= 0; i++) {
                next = end(in, next);
            }
            return next;
        }

        @Override
        public boolean isError(Command request, ByteBuf reply) {
            return reply.getByte(reply.readerIndex()) == '-';
        }
    }
}
