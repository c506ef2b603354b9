package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One request spread over several nodes, answered as one once every node answered: with the
 * replies joined in node order (not arrival order), else with the first error a node answered,
 * else, when a node could not be reached, with that failure; what is not passed on is released.
 */
class NodeGatherTest {
    /** What the gather's answer heard, and when its {@code whenDone} ran, in order. */
    private final List<String> events = new ArrayList<>();
    private final List<ByteBuf> buffers = new ArrayList<>();

    private final ReplyListener answer = new ReplyListener() {
        @Override
        public void onReply(ByteBuf reply, boolean error) {
            events.add((error ? "error " : "reply ") + reply.toString(StandardCharsets.US_ASCII));
            reply.release();
        }

        @Override
        public void onFailure(String reason) {
            events.add("failure " + reason);
        }
    };

    private NodeGather gather(int nodes) {
        return new NodeGather(nodes, answer, replies -> {
            StringBuilder joined = new StringBuilder();
            for (ByteBuf reply : replies) {
                joined.append(reply.toString(StandardCharsets.US_ASCII));
                reply.release();
            }
            return EmbeddedEngine.ascii(joined.toString());
        }, () -> events.add("done"));
    }

    private ByteBuf buffer(String text) {
        ByteBuf buf = EmbeddedEngine.ascii(text);
        buffers.add(buf);
        return buf;
    }

    @AfterEach
    void everyReplyWasReleased() {
        for (ByteBuf buf : buffers) {
            assertThat(buf.refCnt()).as(buf.toString()).isZero();
        }
    }

    @Test
    void theRepliesAreJoinedInNodeOrderOnceTheLastCame() {
        NodeGather gather = gather(3);
        gather.member(2).onReply(buffer("c"), false);
        gather.member(0).onReply(buffer("a"), false);
        assertThat(events).isEmpty();
        gather.member(1).onReply(buffer("b"), false);
        assertThat(events).containsExactly("done", "reply abc");
    }

    @Test
    void theFirstErrorAnswersAndTheOtherRepliesAreReleased() {
        NodeGather gather = gather(4);
        gather.member(0).onReply(buffer("a"), false);
        gather.member(3).onReply(buffer("-first"), true);
        gather.member(1).onReply(buffer("-second"), true);
        assertThat(events).isEmpty();
        gather.member(2).onReply(buffer("c"), false);
        assertThat(events).containsExactly("done", "error -first");
    }

    @Test
    void aNodeThatCouldNotBeReachedFailsTheWholeEvenOverAnError() {
        NodeGather gather = gather(3);
        gather.member(0).onReply(buffer("-error"), true);
        gather.member(1).onFailure("node 2 is down");
        assertThat(events).isEmpty();
        gather.member(2).onReply(buffer("c"), false);
        assertThat(events).containsExactly("done", "failure node 2 is down");
    }

    @Test
    void aSingleNodeIsAnsweredAtOnce() {
        NodeGather gather = gather(1);
        gather.member(0).onReply(buffer("only"), false);
        assertThat(events).containsExactly("done", "reply only");
    }
}
