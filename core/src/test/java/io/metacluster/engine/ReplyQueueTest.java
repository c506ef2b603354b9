package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.metacluster.engine.Clients.buf;
import static io.metacluster.engine.Clients.written;
import static org.assertj.core.api.Assertions.assertThat;

/** The contract of {@link ReplyQueue}: replies leave in request order, whatever order they are answered in. */
class ReplyQueueTest {
    private EmbeddedChannel client;
    private ReplyQueue replies;
    private int answers;

    @BeforeEach
    void setUp() {
        client = Clients.bare();
        FlowControl flow = new FlowControl(client, Clients.listener(Clients.limits(0, 0, 0), null));
        replies = new ReplyQueue(client.pipeline().firstContext(), flow, () -> answers++);
    }

    @AfterEach
    void tearDown() {
        client.finishAndReleaseAll();
    }

    private Slot request() {
        Slot slot = new Slot();
        replies.add(slot);
        return slot;
    }

    @Test
    void aReplyReadyEarlyWaitsForTheOnesBeforeIt() {
        Slot first = request();
        Slot second = request();
        Slot third = request();

        replies.answer(third, buf("+3\r\n"));
        assertThat(written(client)).isEmpty();
        replies.answer(first, buf("+1\r\n"));
        assertThat(written(client)).containsExactly("+1\r\n");
        replies.answer(second, buf("+2\r\n"));
        assertThat(written(client)).containsExactly("+2\r\n", "+3\r\n");
        assertThat(replies.isEmpty()).isTrue();
    }

    /** CLIENT REPLY: the count starts at the next request taken in line; replies answered out of order are dropped by their request. */
    @Test
    void skippedRepliesAreDroppedByRequestNotByTheOrderAnswered() {
        Slot before = request();
        replies.skipReplies(2);
        Slot skipped = request();
        Slot alsoSkipped = request();
        Slot after = request();
        replies.skipReplies(Long.MAX_VALUE);
        Slot off = request();
        replies.skipReplies(0);
        replies.answerNow(buf("+on\r\n"));

        replies.answer(after, buf("+after\r\n"));
        replies.answer(alsoSkipped, buf("+also\r\n"));
        replies.answer(off, buf("+off\r\n"));
        replies.answer(skipped, buf("+skipped\r\n"));
        assertThat(written(client)).isEmpty();
        replies.answer(before, buf("+before\r\n"));
        assertThat(written(client)).containsExactly("+before\r\n", "+after\r\n", "+on\r\n");
        assertThat(replies.isEmpty()).isTrue();
    }

    @Test
    void aPipelineAnsweredInAnyOrderIsWrittenInRequestOrder() {
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            slots.add(request());
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(42));

        List<String> out = new ArrayList<>();
        for (int i : order) {
            replies.answer(slots.get(i), buf(":" + i + "\r\n"));
            out.addAll(written(client));
            assertThat(replies.pending()).isEqualTo(200 - out.size());
        }

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            expected.add(":" + i + "\r\n");
        }
        assertThat(out).isEqualTo(expected);
        assertThat(answers).isEqualTo(200);
    }

    @Test
    void anErrorReplyTakesItsTurnLikeAnyOther() {
        Slot first = request();
        Slot failing = request();
        Slot last = request();

        replies.answer(last, buf("+last\r\n"));
        replies.answer(failing, buf("-ERR no cluster can serve GET now\r\n"));
        assertThat(written(client)).isEmpty();
        replies.answer(first, buf("+first\r\n"));

        assertThat(written(client)).containsExactly("+first\r\n", "-ERR no cluster can serve GET now\r\n", "+last\r\n");
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void aQuietRequestWritesNothingAndHoldsNothingBack() {
        Slot quiet = request();
        Slot loud = request();

        replies.answer(loud, buf("+loud\r\n"));
        replies.answer(quiet, null);

        assertThat(written(client)).containsExactly("+loud\r\n");
    }

    @Test
    void answerNowWaitsInLineBehindEarlierRequests() {
        Slot earlier = request();
        replies.answerNow(buf("+now\r\n"));
        assertThat(written(client)).isEmpty();

        replies.answer(earlier, buf("+earlier\r\n"));
        assertThat(written(client)).containsExactly("+earlier\r\n", "+now\r\n");
    }

    @Test
    void closeAfterReplyWritesThatReplyThenClosesAndDropsTheLaterOnes() {
        Slot quit = request();
        quit.closeAfter = true;
        Slot later = request();
        ByteBuf laterReply = buf("+later\r\n");

        replies.answer(later, laterReply);
        replies.answer(quit, buf("+OK\r\n"));

        assertThat(written(client)).containsExactly("+OK\r\n");
        client.runPendingTasks();
        assertThat(client.isOpen()).isFalse();
        assertThat(laterReply.refCnt()).isZero();
        assertThat(replies.closing()).isTrue();
    }

    @Test
    void repliesAnsweredAfterTheClientLeftAreReleased() {
        Slot atBackend = request();
        Slot answered = request();
        ByteBuf waiting = buf("+waiting\r\n");
        replies.answer(answered, waiting);

        client.close();
        replies.clientClosed();
        assertThat(waiting.refCnt()).as("an answered reply still in line").isZero();
        assertThat(replies.pending()).isEqualTo(1);

        ByteBuf late = buf("+late\r\n");
        replies.answer(atBackend, late);
        assertThat(late.refCnt()).isZero();
        assertThat(replies.pending()).isZero();
        assertThat(written(client)).isEmpty();
    }

    @Test
    void aPushedMessageGoesOutAtOnceAheadOfUnansweredRequests() {
        Slot unanswered = request();
        replies.push(buf("+message\r\n"));
        assertThat(written(client)).containsExactly("+message\r\n");

        replies.answer(unanswered, buf("+reply\r\n"));
        assertThat(written(client)).containsExactly("+reply\r\n");
    }

    @Test
    void aRequestIsReusedOnlyOnceWrittenAndFinished() {
        List<String> reused = new ArrayList<>();
        Slot slot = new Slot() {
            @Override
            void reuse() {
                reused.add("reused");
            }
        };
        replies.add(slot);

        slot.finished();
        assertThat(reused).as("still in line").isEmpty();
        replies.answer(slot, buf("+1\r\n"));
        assertThat(reused).containsExactly("reused");
        written(client);
    }
}
