package io.metacluster.engine;

import io.metacluster.spi.CommandKind;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.metacluster.engine.Clients.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a {@link ClientSession} sends each command its way, through the whole session on an
 * embedded channel. The listener has no cluster, so what is routed to one is answered "no
 * cluster can serve it".
 */
class ClientSessionTest {
    private final Listener listener = Clients.listener(Clients.limits(0, 0, 0), null);
    private final EmbeddedChannel client = Clients.connect(listener);

    @AfterEach
    void tearDown() {
        client.finishAndReleaseAll();
    }

    @Test
    void localAnswersAndRoutedRequestsComeBackInRequestOrder() {
        assertThat(send(client, "PING", "GET k", "NOSUCH x", "PING")).containsExactly(
                "+PONG\r\n",
                "-ERR no cluster can serve GET now: no cluster is up\r\n",
                "-ERR unknown command 'NOSUCH'\r\n",
                "+PONG\r\n");
        assertThat(listener.metrics().commands(CommandKind.ADMIN).getCount()).isEqualTo(2);
        assertThat(listener.metrics().commands(CommandKind.READ).getCount()).isEqualTo(1);
        assertThat(listener.metrics().commands(CommandKind.UNSUPPORTED).getCount()).isEqualTo(1);
    }

    @Test
    void quitIsAnsweredThenTheConnectionClosesAndWhatFollowsIsDropped() {
        assertThat(send(client, "PING", "QUIT", "PING")).containsExactly("+PONG\r\n", "+OK\r\n");
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void aMalformedRequestIsAnsweredWithAnErrorAndTheConnectionClosed() {
        Clients.receive(client, Clients.buf("PING\r\nPING\n"));

        assertThat(Clients.written(client)).containsExactly("+PONG\r\n", "-ERR a request ends with CRLF\r\n");
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void aPinnedCommandWithNoClusterUpIsAnsweredWithAnError() {
        assertThat(send(client, "SUBSCRIBE news", "PING")).containsExactly(
                "-ERR no cluster can serve SUBSCRIBE now: no cluster is up\r\n", "+PONG\r\n");
    }

    @Test
    void anIdleClientIsClosed() {
        client.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);

        assertThat(client.isOpen()).isFalse();
        assertThat(listener.metrics().connections.getCount()).isZero();
    }
}
