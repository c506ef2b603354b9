package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;

import java.util.function.Function;

/**
 * One request spread over several nodes of a sharded cluster (a keyless write sent to every
 * node, a multi-key read split by node), answered as one: with the first error a node
 * answered, or a failure if a node could not be reached, else with the nodes' replies joined.
 * Lives on the client's event loop; only made for such requests.
 */
final class NodeGather {
    private final ReplyListener answer;
    private final Function<ByteBuf[], ByteBuf> join;
    private final Runnable whenDone;
    private final ByteBuf[] replies;
    private int outstanding;
    private ByteBuf error;
    private String failure;

    /**
     * @param nodes    how many replies to wait for
     * @param join     makes the answer from every reply (owned by it), when none is an error
     * @param whenDone runs once every node answered, before {@code answer} hears of it
     */
    NodeGather(int nodes, ReplyListener answer, Function<ByteBuf[], ByteBuf> join, Runnable whenDone) {
        this.answer = answer;
        this.join = join;
        this.whenDone = whenDone;
        this.replies = new ByteBuf[nodes];
        this.outstanding = nodes;
    }

    /** The listener of the request sent to node number {@code index} (0 to nodes - 1). */
    ReplyListener member(int index) {
        return new ReplyListener() {
            @Override
            public void onReply(ByteBuf reply, boolean isError) {
                if (isError && error == null) {
                    error = reply;
                } else if (isError) {
                    reply.release();
                } else {
                    replies[index] = reply;
                }
                settle();
            }

            @Override
            public void onFailure(String reason) {
                failure = reason;
                settle();
            }
        };
    }

    private void settle() {
        if (--outstanding > 0) {
            return;
        }
        whenDone.run();
        if (failure == null && error == null) {
            answer.onReply(join.apply(replies), false);
            return;
        }
        for (ByteBuf reply : replies) {
            ReferenceCountUtil.release(reply);
        }
        if (failure != null) {
            ReferenceCountUtil.release(error);
            answer.onFailure(failure);
        } else {
            answer.onReply(error, true);
        }
    }
}
