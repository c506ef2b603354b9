package io.metacluster.memcached;

import io.metacluster.spi.ClientContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

import static io.metacluster.memcached.BinaryPacket.*;

/**
 * Binary SASL as memcached 1.6 started with {@code -S}, mechanism PLAIN only, checked against the
 * listener's {@code auth} ({@link ClientContext#authenticate}). On a listener without {@code auth}
 * the SASL opcodes get "Unknown command", as memcached without {@code -S} answers them.
 *
 * <ul>
 *   <li>List Mechs (0x20): {@code PLAIN}</li>
 *   <li>Auth (0x21), key {@code PLAIN}, value {@code [authzid] NUL user NUL password}: "Authenticated"
 *       (memcached's words) or status 0x20 "Auth failure."</li>
 *   <li>Step (0x22): PLAIN has no second step, so "Auth failure."</li>
 * </ul>
 *
 * Stateless.
 */
final class Sasl {
    static final String MECHANISMS = "PLAIN";
    static final String AUTHENTICATED = "Authenticated";
    static final String AUTH_FAILURE = "Auth failure.";
    /** memcached's text refusal of an unauthenticated client ({@code -Y}); with SASL there is no text login. */
    static final String TEXT_UNAUTHENTICATED = "CLIENT_ERROR unauthenticated";

    private Sasl() {
    }

    /** The answer to a SASL opcode; {@code frame} is the whole request. */
    static ByteBuf answer(BinaryOpcode op, ByteBuf frame, int opaque, ClientContext context) {
        ByteBufAllocator alloc = context.alloc();
        if (!context.authRequired()) {
            return response(alloc, op.code, opaque, STATUS_UNKNOWN_COMMAND, "", BinaryRequestDecoder.UNKNOWN_COMMAND);
        }
        return switch (op) {
            case SASL_LIST_MECHS -> response(alloc, op.code, opaque, STATUS_SUCCESS, "", MECHANISMS);
            case SASL_AUTH -> authenticate(frame, context)
                    ? response(alloc, op.code, opaque, STATUS_SUCCESS, "", AUTHENTICATED)
                    : failure(alloc, op.code, opaque);
            default -> failure(alloc, op.code, opaque);
        };
    }

    /** Status 0x20 "Auth failure." with the request's opcode and opaque. */
    static ByteBuf failure(ByteBufAllocator alloc, int opcode, int opaque) {
        return response(alloc, opcode, opaque, STATUS_AUTH_ERROR, "", AUTH_FAILURE);
    }

    private static boolean authenticate(ByteBuf frame, ClientContext context) {
        int from = frame.readerIndex();
        int keyLength = frame.getUnsignedShort(from + KEY_LENGTH);
        int extrasLength = frame.getUnsignedByte(from + EXTRAS_LENGTH);
        long bodyLength = frame.getUnsignedInt(from + BODY_LENGTH);
        int keyAt = from + HEADER_BYTES + extrasLength;
        String mechanism = frame.toString(keyAt, keyLength, StandardCharsets.US_ASCII);
        if (!mechanism.equalsIgnoreCase(MECHANISMS)) {
            return false;
        }
        byte[] message = new byte[(int) (bodyLength - extrasLength - keyLength)];
        frame.getBytes(keyAt + keyLength, message);
        // PLAIN (RFC 4616): authzid NUL authcid NUL passwd
        int first = indexOf(message, 0);
        int second = first < 0 ? -1 : indexOf(message, first + 1);
        if (second < 0 || indexOf(message, second + 1) >= 0) {
            return false;
        }
        String authzid = new String(message, 0, first, StandardCharsets.UTF_8);
        String user = new String(message, first + 1, second - first - 1, StandardCharsets.UTF_8);
        String password = new String(message, second + 1, message.length - second - 1, StandardCharsets.UTF_8);
        java.util.Arrays.fill(message, (byte) 0);
        if (!authzid.isEmpty() && !authzid.equals(user)) {
            return false; // acting as another identity is not supported
        }
        return context.authenticate(user.isEmpty() ? null : user, password);
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
