package io.metacluster.engine;

import io.metacluster.config.AuthConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.engine.Clients.send;
import static io.metacluster.engine.Clients.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may connect ({@code max-clients}) and who may use the backends ({@code auth}), through a
 * whole {@link ClientSession}. The listener has no cluster, so a command that got past admission
 * is answered "no cluster can serve it".
 */
class AdmissionTest {
    private static final String NOAUTH = "-ERR NOAUTH Authentication required.\r\n";
    private static final String ROUTED = "-ERR no cluster can serve GET now: no cluster is up\r\n";
    private static final AuthConfig AUTH = new AuthConfig("secret", List.of(new AuthConfig.User("app", "app-secret")));

    private final List<EmbeddedChannel> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        clients.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel connect(Listener listener) {
        EmbeddedChannel client = Clients.connect(listener);
        clients.add(client);
        return client;
    }

    @Test
    void aClientPastMaxClientsIsToldAndClosed() {
        Listener listener = Clients.listener(Clients.limits(0, 1, 0), null);
        EmbeddedChannel first = connect(listener);

        EmbeddedChannel second = connect(listener);
        assertThat(written(second)).containsExactly("-ERR max number of clients reached\r\n");
        assertThat(second.isOpen()).isFalse();
        assertThat(listener.metrics().rejected.getCount()).isEqualTo(1);
        assertThat(listener.metrics().connections.getCount()).isEqualTo(1);

        assertThat(send(first, "PING")).containsExactly("+PONG\r\n");
        first.close();
        assertThat(listener.metrics().connections.getCount()).isZero();
        EmbeddedChannel third = connect(listener);
        assertThat(third.isOpen()).isTrue();
        assertThat(send(third, "PING")).containsExactly("+PONG\r\n");
    }

    @Test
    void withoutAuthEveryCommandIsServed() {
        EmbeddedChannel client = connect(Clients.listener(Clients.limits(0, 0, 0), null));

        assertThat(send(client, "GET k")).containsExactly(ROUTED);
    }

    @Test
    void beforeAuthenticatingOnlyAdminCommandsAreServed() {
        EmbeddedChannel client = connect(Clients.listener(Clients.limits(0, 0, 0), AUTH));

        assertThat(send(client, "GET k", "PING", "SUBSCRIBE news", "NOSUCH")).containsExactly(
                NOAUTH, "+PONG\r\n", NOAUTH, NOAUTH);
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void aWrongPasswordIsRefusedAndCounted() {
        Listener listener = Clients.listener(Clients.limits(0, 0, 0), AUTH);
        EmbeddedChannel client = connect(listener);

        assertThat(send(client, "AUTH wrong", "AUTH app secret", "GET k")).containsExactly(
                "-WRONGPASS invalid username-password pair\r\n", "-WRONGPASS invalid username-password pair\r\n", NOAUTH);
        assertThat(listener.metrics().authFailures.getCount()).isEqualTo(2);
    }

    @Test
    void theDefaultUsersPasswordLetsTheClientIn() {
        EmbeddedChannel client = connect(Clients.listener(Clients.limits(0, 0, 0), AUTH));

        assertThat(send(client, "AUTH secret", "GET k")).containsExactly("+OK\r\n", ROUTED);
    }

    @Test
    void aNamedUsersPasswordLetsTheClientIn() {
        EmbeddedChannel client = connect(Clients.listener(Clients.limits(0, 0, 0), AUTH));

        assertThat(send(client, "AUTH app app-secret", "GET k")).containsExactly("+OK\r\n", ROUTED);
    }

    @Test
    void authenticationIsPerConnection() {
        Listener listener = Clients.listener(Clients.limits(0, 0, 0), AUTH);
        EmbeddedChannel in = connect(listener);
        EmbeddedChannel other = connect(listener);

        assertThat(send(in, "AUTH secret", "GET k")).containsExactly("+OK\r\n", ROUTED);
        assertThat(send(other, "GET k")).containsExactly(NOAUTH);
    }
}
