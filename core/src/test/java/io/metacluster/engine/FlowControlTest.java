package io.metacluster.engine;

import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.metacluster.engine.Clients.buf;
import static io.metacluster.engine.Clients.written;
import static org.assertj.core.api.Assertions.assertThat;

/** Back-pressure and the output limit of one client: {@link FlowControl}, and {@link ReplyQueue} acting on it. */
class FlowControlTest {
    private final EmbeddedChannel client = Clients.bare();

    @AfterEach
    void tearDown() {
        client.finishAndReleaseAll();
    }

    private FlowControl flow(int maxPending, long maxOutputBytes) {
        return new FlowControl(client, Clients.listener(Clients.limits(maxPending, 0, maxOutputBytes), null));
    }

    private boolean reading() {
        return client.config().isAutoRead();
    }

    @Test
    void readingStopsAtMaxPendingAndResumesAtHalfOfIt() {
        FlowControl flow = flow(4, 0);

        flow.update(3, false);
        assertThat(reading()).isTrue();
        flow.update(4, false);
        assertThat(reading()).isFalse();
        flow.update(3, false);
        assertThat(reading()).as("above half of max-pending").isFalse();
        flow.update(2, false);
        assertThat(reading()).isTrue();
    }

    @Test
    void readingStopsWhileRepliesPileUpUnread() {
        FlowControl flow = flow(100, 0);
        client.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));

        client.write(buf("+a reply longer than sixteen bytes\r\n"));
        assertThat(client.isWritable()).isFalse();
        flow.update(0, false);
        assertThat(reading()).isFalse();

        client.flush();
        flow.update(0, false);
        assertThat(reading()).isTrue();
        written(client);
    }

    @Test
    void aClosingConnectionIsNotReadFromAgain() {
        FlowControl flow = flow(4, 0);
        flow.update(4, false);

        flow.update(0, true);
        assertThat(reading()).isFalse();
    }

    @Test
    void aDrainingListenerStopsReadingForGood() {
        Listener listener = Clients.listener(Clients.limits(4, 0, 0), null);
        FlowControl flow = new FlowControl(client, listener);
        listener.draining = true;

        flow.update(0, false);
        assertThat(reading()).isFalse();
        flow.update(0, false);
        assertThat(reading()).isFalse();
    }

    @Test
    void unreadRepliesOverMaxOutputBytesAreReportedAndCounted() {
        Listener listener = Clients.listener(Clients.limits(0, 0, 1000), null);
        FlowControl flow = new FlowControl(client, listener);

        client.write(buf("+" + "x".repeat(800) + "\r\n"));
        assertThat(flow.overOutputLimit()).as("under the limit").isFalse();
        client.write(buf("+" + "x".repeat(200) + "\r\n"));
        assertThat(flow.overOutputLimit()).isTrue();
        assertThat(listener.metrics().outputLimitDisconnects.getCount()).isEqualTo(1);

        client.flush();
        assertThat(flow.overOutputLimit()).as("read by the client").isFalse();
        written(client);
    }

    @Test
    void aReplyThatTakesTheClientOverItsOutputLimitClosesIt() {
        ReplyQueue replies = new ReplyQueue(client.pipeline().firstContext(), flow(0, 1000), () -> { });
        Slot first = new Slot();
        Slot second = new Slot();
        Slot third = new Slot();
        replies.add(first);
        replies.add(second);
        replies.add(third);

        // within one read batch the replies are written but not flushed yet: unread, as for a slow client
        FlushBatch batch = FlushBatch.current();
        batch.begin();
        try {
            replies.answer(first, buf("+" + "x".repeat(600) + "\r\n"));
            assertThat(client.isOpen()).isTrue();
            replies.answer(second, buf("+" + "x".repeat(600) + "\r\n"));
            assertThat(client.isOpen()).isFalse();
        } finally {
            batch.end();
            client.runPendingTasks();
        }
        var late = buf("+late\r\n");
        replies.answer(third, late);
        assertThat(late.refCnt()).isZero();
    }
}
