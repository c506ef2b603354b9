package io.metacluster.engine;

import io.metacluster.config.LimitsConfig;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.metacluster.engine.Clients.buf;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code max-total-output-bytes}: the clients with the most unread output go, the others stay. */
class OutputBudgetTest {
    private final Listener listener = Clients.listener(new LimitsConfig(0, 0, 0, 0, 0, 1_000_000, 0, 2400), null);
    private final EmbeddedChannel light = client();
    private final EmbeddedChannel heavy = client();
    private final EmbeddedChannel heavier = client();

    @AfterEach
    void tearDown() {
        light.finishAndReleaseAll();
        heavy.finishAndReleaseAll();
        heavier.finishAndReleaseAll();
    }

    private EmbeddedChannel client() {
        // each its own id: the listener's channel group tells channels apart by id
        EmbeddedChannel channel = new EmbeddedChannel(DefaultChannelId.newInstance());
        listener.clientChannels.add(channel);
        return channel;
    }

    /** Writes {@code bytes} of reply that the client does not read (not flushed), and tells its flow control. */
    private static void unread(EmbeddedChannel client, FlowControl flow, int bytes) {
        client.write(buf("+" + "x".repeat(bytes - 3) + "\r\n"));
        assertThat(flow.overOutputLimit()).as("max-output-bytes is far").isFalse();
    }

    @Test
    void overTheBudgetTheClientsWithTheMostUnreadAreDisconnectedUntilTheRestFits() {
        FlowControl lightFlow = new FlowControl(light, listener);
        FlowControl heavyFlow = new FlowControl(heavy, listener);
        FlowControl heavierFlow = new FlowControl(heavier, listener);
        unread(light, lightFlow, 300);
        unread(heavy, heavyFlow, 800);
        unread(heavier, heavierFlow, 900);
        // Netty counts some overhead per buffer written: 2000 bytes make 2288
        assertThat(listener.output.total()).isEqualTo(OutputBudget.unread(light) + OutputBudget.unread(heavy)
                + OutputBudget.unread(heavier)).isBetween(2000L, 2400L);
        assertThat(light.isOpen() && heavy.isOpen() && heavier.isOpen()).as("within the budget").isTrue();

        unread(light, lightFlow, 100);

        assertThat(heavier.isOpen()).isFalse();
        assertThat(heavy.isOpen()).as("the rest fits once the heaviest is gone").isTrue();
        assertThat(light.isOpen()).isTrue();
        assertThat(listener.metrics().outputLimitDisconnects.getCount()).isEqualTo(1);
        heavierFlow.recount();
        assertThat(listener.output.total()).as("a closed client counts no more")
                .isEqualTo(OutputBudget.unread(light) + OutputBudget.unread(heavy));
    }

    @Test
    void whatAClientReadsLeavesTheBudget() {
        FlowControl flow = new FlowControl(heavy, listener);
        unread(heavy, flow, 1500);
        heavy.flush();
        flow.recount();
        assertThat(listener.output.total()).isZero();
        Clients.written(heavy);
    }
}
