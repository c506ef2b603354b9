package io.metacluster.memcached;

import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;


import static io.metacluster.memcached.BinaryPacket.*;

/**
 * The replies the proxy renders itself, in the dialect of the request: answers to
 * {@link io.metacluster.spi.CommandKind#ADMIN} commands and error replies. Stateless.
 */
final class LocalReplies {
    private static final String CLIENT_ERROR = "CLIENT_ERROR ";
    private static final String SERVER_ERROR = "SERVER_ERROR ";

    private LocalReplies() {
    }

    /** {@link io.metacluster.spi.ClientCodec#answer}: {@code null} sends nothing. */
    static ByteBuf answer(Command command, ClientContext context) {
        Request request = (Request) command.detail();
        ByteBufAllocator alloc = context.alloc();
        if (request.binary()) {
            return binaryAnswer(command, request, context);
        }
        if (!context.authenticated() && !command.name().equals("quit")) {
            return ascii(alloc, Sasl.TEXT_UNAUTHENTICATED + "\r\n");
        }
        return switch (command.name()) {
            case "version" -> ascii(alloc, "VERSION " + ProxyInfo.VERSION + "\r\n");
            case "verbosity" -> request.quiet().hidesErrors() ? null : ascii(alloc, "OK\r\n");
            case "mn" -> ascii(alloc, "MN\r\n");
            case "quit" -> {
                context.closeAfterReply();
                yield null;
            }
            default -> throw new IllegalArgumentException("not a local command: " + command);
        };
    }

    private static ByteBuf binaryAnswer(Command command, Request request, ClientContext context) {
        ByteBufAllocator alloc = context.alloc();
        int opcode = request.opcode();
        int opaque = request.opaque();
        BinaryOpcode op = BinaryOpcode.of(opcode);
        if (op != null && op.isSasl()) {
            return Sasl.answer(op, command.frame(), opaque, context);
        }
        if (!context.authenticated() && !mayPrecedeAuthentication(op)) {
            return Sasl.failure(alloc, opcode, opaque);
        }
        return switch (command.name()) {
            case "noop", "verbosity" -> response(alloc, opcode, opaque, STATUS_SUCCESS, "", "");
            case "version" -> response(alloc, opcode, opaque, STATUS_SUCCESS, "", ProxyInfo.VERSION);
            case "quit" -> {
                context.closeAfterReply();
                yield response(alloc, opcode, opaque, STATUS_SUCCESS, "", "");
            }
            case "quitq" -> {
                context.closeAfterReply();
                yield null;
            }
            default -> throw new IllegalArgumentException("not a local command: " + command);
        };
    }

    /**
     * What an unauthenticated binary client may do besides SASL: Version, as memcached with
     * {@code -S}, and Quit (closing needs no credentials).
     */
    private static boolean mayPrecedeAuthentication(BinaryOpcode op) {
        return op == BinaryOpcode.VERSION || op == BinaryOpcode.QUIT || op == BinaryOpcode.QUITQ;
    }

    /**
     * {@link io.metacluster.spi.ClientCodec#authenticationRequired}. Binary: status 0x20 "Auth
     * failure." with the request's opcode and opaque, as memcached with {@code -S}, quiet or not.
     * Text: {@code CLIENT_ERROR unauthenticated}, even for {@code noreply}, as memcached: with SASL
     * the text protocol has no way in.
     */
    static ByteBuf authenticationRequired(ByteBufAllocator alloc, Request request) {
        if (request.binary()) {
            return Sasl.failure(alloc, request.opcode(), request.opaque());
        }
        return ascii(alloc, Sasl.TEXT_UNAUTHENTICATED + "\r\n");
    }

    /**
     * {@link io.metacluster.spi.ClientCodec#error}. Text: a message that already is a memcached
     * error line ({@code ERROR}, {@code CLIENT_ERROR ...}, {@code SERVER_ERROR ...}) is sent as
     * it is, anything else as {@code SERVER_ERROR <message>}; nothing at all for a {@code noreply}
     * request, as memcached. Binary: a response with the request's opcode and opaque, the status
     * the decoder chose (or one that fits the message) and the message as body.
     *
     * @param request the failed request's detail, or {@code null} for a connection-level error
     */
    static ByteBuf error(ByteBufAllocator alloc, Request request, boolean binary, String message) {
        String text = message == null ? "error" : message.replace('\r', ' ').replace('\n', ' ');
        if (binary) {
            int status = request != null && request.status() != STATUS_SUCCESS ? request.status() : statusOf(text);
            int opcode = request == null ? 0 : request.opcode();
            int opaque = request == null ? 0 : request.opaque();
            return response(alloc, opcode, opaque, status, "", strip(text));
        }
        if (request != null && request.quiet().hidesErrors()) {
            return Unpooled.EMPTY_BUFFER;
        }
        boolean verbatim = text.equals(TextRequestDecoder.ERROR) || text.startsWith(CLIENT_ERROR) || text.startsWith(SERVER_ERROR);
        return ascii(alloc, (verbatim ? text : SERVER_ERROR + text) + "\r\n");
    }

    private static int statusOf(String message) {
        if (message.equals(TextRequestDecoder.ERROR)) {
            return STATUS_UNKNOWN_COMMAND;
        }
        return message.startsWith(CLIENT_ERROR) ? STATUS_INVALID_ARGUMENTS : STATUS_INTERNAL_ERROR;
    }

    private static String strip(String message) {
        if (message.startsWith(CLIENT_ERROR)) {
            return message.substring(CLIENT_ERROR.length());
        }
        return message.startsWith(SERVER_ERROR) ? message.substring(SERVER_ERROR.length()) : message;
    }

    private static ByteBuf ascii(ByteBufAllocator alloc, String text) {
        return ByteBufUtil.writeAscii(alloc, text);
    }
}
