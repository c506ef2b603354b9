package io.metacluster.engine;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.engine.EmbeddedEngine.sent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One flush per channel per event-loop pass: outside a read batch a channel written to is
 * flushed at once; inside one it is only marked, and after the batch one task flushes every
 * marked channel once, in the order they were first marked.
 */
class FlushBatchTest {
    private final FlushBatch batch = FlushBatch.current();
    private final List<String> flushes = new ArrayList<>();
    private final EmbeddedChannel a = channel("a");
    private final EmbeddedChannel b = channel("b");
    private final EmbeddedChannel c = channel("c");

    /** A channel that notes each flush that reaches it. */
    private EmbeddedChannel channel(String name) {
        return new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes.add(name);
                ctx.flush();
            }
        });
    }

    private void write(EmbeddedChannel channel, String text) {
        channel.write(EmbeddedEngine.ascii(text));
        batch.flush(channel);
    }

    /** The thread's batch is shared by every test on it: leave it closed with nothing pending. */
    @AfterEach
    void closeBatch() {
        batch.end();
        for (EmbeddedChannel channel : List.of(a, b, c)) {
            channel.runPendingTasks();
        }
        for (EmbeddedChannel channel : List.of(a, b, c)) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void outsideABatchAChannelIsFlushedAtOnce() {
        write(a, "one");
        assertThat(flushes).containsExactly("a");
        assertThat(sent(a)).isEqualTo("one");
    }

    @Test
    void insideABatchEachChannelIsFlushedOnceAfterItInTheOrderFirstMarked() {
        batch.begin();
        write(b, "1");
        write(a, "2");
        write(b, "3");
        write(b, "4");
        write(c, "5");
        write(a, "6");
        assertThat(flushes).as("nothing during the batch").isEmpty();
        assertThat(sent(a)).isEmpty();

        batch.end();
        assertThat(flushes).as("after the batch, in a task of the event loop").isEmpty();
        b.runPendingTasks(); // the task runs on the loop of the first channel marked
        assertThat(flushes).containsExactly("b", "a", "c");
        assertThat(sent(a)).isEqualTo("26");
        assertThat(sent(b)).isEqualTo("134");
        assertThat(sent(c)).isEqualTo("5");
    }

    @Test
    void aWriteBetweenTheBatchAndItsFlushJoinsThatFlush() {
        batch.begin();
        write(a, "1");
        batch.end();
        // outside the batch, but its flush task is still to run (on a's loop; an embedded
        // channel runs its loop's tasks whenever it is written to, so only b is written here)
        write(b, "2");
        write(b, "3");
        assertThat(flushes).isEmpty();
        a.runPendingTasks();
        assertThat(flushes).containsExactly("a", "b");
        assertThat(sent(a)).isEqualTo("1");
        assertThat(sent(b)).isEqualTo("23");

        write(c, "4");
        assertThat(flushes).as("once flushed, at once again").containsExactly("a", "b", "c");
    }

    @Test
    void beginIsIdempotentAndABatchWithNothingWrittenSchedulesNothing() {
        batch.begin();
        batch.begin();
        batch.end();
        assertThat(a.hasPendingTasks()).isFalse();
        write(a, "1");
        assertThat(flushes).containsExactly("a");
    }

    @Test
    void insideABatchTheTimeIsWhenTheBatchBegan() throws InterruptedException {
        batch.begin();
        long began = batch.now();
        Thread.sleep(2);
        batch.begin();
        assertThat(batch.now()).as("one clock read per batch").isEqualTo(began);
        batch.end();
        assertThat(batch.now()).as("outside a batch, the time now").isGreaterThan(began);
    }

    @Test
    void oneBatchPerThread() throws Exception {
        FlushBatch[] other = new FlushBatch[1];
        Thread thread = new Thread(() -> other[0] = FlushBatch.current());
        thread.start();
        thread.join();
        assertThat(FlushBatch.current()).isSameAs(batch);
        assertThat(other[0]).isNotNull().isNotSameAs(batch);
    }
}
