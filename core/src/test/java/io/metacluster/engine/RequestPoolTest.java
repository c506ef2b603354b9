package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The contract of {@link RequestPool}: finished requests serve the client's next ones, up to a bound. */
class RequestPoolTest {
    private final EmbeddedChannel client = Clients.bare();
    private final RequestPool pool = new RequestPool();
    private final RequestContext context;
    private final List<Command> commands = new ArrayList<>();

    RequestPoolTest() {
        Listener listener = Clients.listener(Clients.limits(0, 0, 0), null);
        ReplyQueue replies = new ReplyQueue(client.pipeline().firstContext(), new FlowControl(client, listener), () -> { });
        context = new RequestContext(listener, new InlineRedisProtocol.Codec(), 1, client.pipeline().firstContext(),
                replies, new Parking(), pool);
    }

    @AfterEach
    void tearDown() {
        commands.forEach(Command::release);
        client.finishAndReleaseAll();
    }

    private ReadRequest read() {
        Command command = Clients.command("GET k");
        commands.add(command);
        return pool.read(command, context);
    }

    @Test
    void aReusedRequestServesTheNextOne() {
        ReadRequest first = read();
        pool.reuse(first);

        assertThat(read()).isSameAs(first);
        assertThat(read()).as("the pool is empty again").isNotSameAs(first);
    }

    @Test
    void atMost32AreKept() {
        Map<ReadRequest, Boolean> returned = new IdentityHashMap<>();
        for (int i = 0; i < 40; i++) {
            ReadRequest request = new ReadRequest(context);
            returned.put(request, true);
            pool.reuse(request);
        }

        int reused = 0;
        for (int i = 0; i < 40; i++) {
            reused += returned.containsKey(read()) ? 1 : 0;
        }
        assertThat(reused).isEqualTo(32);
    }

    @Test
    void aClosedPoolKeepsNothing() {
        ReadRequest kept = read();
        pool.reuse(kept);
        pool.close();
        ReadRequest after = read();
        pool.reuse(after);

        assertThat(read()).isNotSameAs(kept).isNotSameAs(after);
    }
}
