package io.metacluster.memcached;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.memcached.BinaryRequestDecoderTest.packets;
import static io.metacluster.memcached.BinaryRequestDecoderTest.request;
import static io.metacluster.memcached.BinaryRequestDecoderTest.valid;
import static io.metacluster.memcached.Decoding.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Binary SASL PLAIN and the refusals of unauthenticated clients, on a listener with {@code auth}. */
class MemcachedAuthTest {
    private final ClientCodec codec = new MemcachedProtocol().newClientCodec(LIMITS);

    /** A listener with auth: user "app" / "secret", default password "pw". */
    static final class AuthContext extends Decoding.Context {
        final boolean required;
        boolean authenticated;
        final List<String> attempts = new ArrayList<>();

        AuthContext(boolean required) {
            this.required = required;
        }

        @Override
        public boolean authRequired() {
            return required;
        }

        @Override
        public boolean authenticated() {
            return authenticated || !required;
        }

        @Override
        public boolean authenticate(String username, String password) {
            attempts.add(username + ":" + password);
            boolean ok = required && (username == null ? "pw".equals(password) : "app".equals(username) && "secret".equals(password));
            authenticated |= ok;
            return ok;
        }
    }

    private List<String> answer(Command command, ClientContext context) {
        return packets(codec.answer(command, context));
    }

    private static byte[] auth(String mechanism, String message, int opaque) {
        return request(0x21, 0, mechanism, message, opaque);
    }

    @Test
    void saslPlainAuthenticates() {
        List<Command> commands = decodeAll(codec, concat(
                request(0x20, 0, "", "", 1),
                auth("PLAIN", "\0app\0wrong", 2),
                auth("CRAM-MD5", "app secret", 3),
                auth("PLAIN", "app\0secret", 4),               // one NUL: malformed
                auth("PLAIN", "other\0app\0secret", 5),        // acting as another identity
                request(0x22, 0, "PLAIN", "", 6),              // step: PLAIN has none
                valid(BinaryOpcode.NOOP, 7),
                auth("PLAIN", "app\0app\0secret", 8),          // authzid = authcid
                valid(BinaryOpcode.NOOP, 9)));
        AuthContext context = new AuthContext(true);
        try {
            assertThat(commands).hasSize(9).allSatisfy(c -> assertThat(c.kind()).isEqualTo(CommandKind.ADMIN));
            assertThat(answer(commands.get(0), context)).containsExactly("20 0000 1 PLAIN");
            assertThat(answer(commands.get(1), context)).containsExactly("21 0020 2 Auth failure.");
            assertThat(answer(commands.get(2), context)).containsExactly("21 0020 3 Auth failure.");
            assertThat(answer(commands.get(3), context)).containsExactly("21 0020 4 Auth failure.");
            assertThat(answer(commands.get(4), context)).containsExactly("21 0020 5 Auth failure.");
            assertThat(answer(commands.get(5), context)).containsExactly("22 0020 6 Auth failure.");
            assertThat(answer(commands.get(6), context)).containsExactly("0a 0020 7 Auth failure.");
            assertThat(context.attempts).containsExactly("app:wrong");
            assertThat(answer(commands.get(7), context)).containsExactly("21 0000 8 Authenticated");
            assertThat(context.authenticated).isTrue();
            assertThat(answer(commands.get(8), context)).containsExactly("0a 0000 9 ");
        } finally {
            commands.forEach(Command::release);
        }
    }

    @Test
    void anEmptyUserIsTheDefaultUser() {
        List<Command> commands = decodeAll(codec, auth("PLAIN", "\0\0pw", 1));
        AuthContext context = new AuthContext(true);
        try {
            assertThat(answer(commands.get(0), context)).containsExactly("21 0000 1 Authenticated");
            assertThat(context.attempts).containsExactly("null:pw");
        } finally {
            commands.forEach(Command::release);
        }
    }

    @Test
    void withoutAuthSaslIsAnUnknownCommand() {
        List<Command> commands = decodeAll(codec, concat(request(0x20, 0, "", "", 1), auth("PLAIN", "\0app\0secret", 2),
                request(0x22, 3, "x", "y", 3), valid(BinaryOpcode.NOOP, 4)));
        AuthContext context = new AuthContext(false);
        try {
            assertThat(answer(commands.get(0), context)).containsExactly("20 0081 1 Unknown command");
            assertThat(answer(commands.get(1), context)).containsExactly("21 0081 2 Unknown command");
            assertThat(answer(commands.get(2), context)).containsExactly("22 0081 3 Unknown command");
            assertThat(answer(commands.get(3), context)).containsExactly("0a 0000 4 ");
            assertThat(context.attempts).isEmpty();
        } finally {
            commands.forEach(Command::release);
        }
    }

    @Test
    void unauthenticatedBinaryClientsGetAuthErrorsWithTheirOpcodeAndOpaque() {
        List<Command> commands = decodeAll(codec, concat(valid(BinaryOpcode.GET, 1), valid(BinaryOpcode.SETQ, 2),
                valid(BinaryOpcode.STAT, 3), valid(BinaryOpcode.VERBOSITY, 4), valid(BinaryOpcode.VERSION, 5),
                request(0x55, 0, "", "", 6), valid(BinaryOpcode.QUIT, 7)));
        AuthContext context = new AuthContext(true);
        try {
            // what the engine does with a non-ADMIN command of an unauthenticated client
            assertThat(packets(codec.authenticationRequired(ByteBufAllocator.DEFAULT, commands.get(0)))).containsExactly("00 0020 1 Auth failure.");
            assertThat(packets(codec.authenticationRequired(ByteBufAllocator.DEFAULT, commands.get(1)))).containsExactly("11 0020 2 Auth failure.");
            assertThat(answer(commands.get(2), context)).containsExactly("10 0020 3 Auth failure.");
            assertThat(answer(commands.get(3), context)).containsExactly("1b 0020 4 Auth failure.");
            // memcached -S answers Version before authentication
            assertThat(answer(commands.get(4), context)).containsExactly("0b 0000 5 " + ProxyInfo.VERSION);
            assertThat(commands.get(5).kind()).isEqualTo(CommandKind.UNSUPPORTED);
            assertThat(packets(codec.authenticationRequired(ByteBufAllocator.DEFAULT, commands.get(5)))).containsExactly("55 0020 6 Auth failure.");
            assertThat(answer(commands.get(6), context)).containsExactly("07 0000 7 ");
            assertThat(context.closed).isTrue();
        } finally {
            commands.forEach(Command::release);
        }
    }

    @Test
    void textIsRefusedWhenAuthIsRequired() {
        List<Command> commands = decodeAll(codec, bytes("get a\r\nset a 0 0 1 noreply\r\nx\r\nversion\r\nstats\r\nmn\r\nquit\r\n"));
        AuthContext context = new AuthContext(true);
        try {
            assertThat(commands).hasSize(6);
            String refusal = "CLIENT_ERROR unauthenticated\r\n";
            assertThat(drain(codec.authenticationRequired(ByteBufAllocator.DEFAULT, commands.get(0)))).isEqualTo(refusal);
            assertThat(drain(codec.authenticationRequired(ByteBufAllocator.DEFAULT, commands.get(1)))).isEqualTo(refusal);
            // stats is read from the servers: the engine refuses it before authentication like any read
            assertThat(commands.get(3).kind()).isEqualTo(CommandKind.READ);
            assertThat(drain(codec.authenticationRequired(ByteBufAllocator.DEFAULT, commands.get(3)))).isEqualTo(refusal);
            for (Command admin : List.of(commands.get(2), commands.get(4))) {
                assertThat(admin.kind()).isEqualTo(CommandKind.ADMIN);
                assertThat(drain(codec.answer(admin, context))).isEqualTo(refusal);
            }
            assertThat(codec.answer(commands.get(5), context)).isNull();
            assertThat(context.closed).isTrue();
        } finally {
            commands.forEach(Command::release);
        }
    }
}
