package io.metacluster.verify;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyHandler;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.VerifyContext;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.List;

/**
 * Requests sent at once through {@link VerifyContext#send}, whose replies are handed over
 * together when the last one arrived. Owns what passes through it: the commands and the replies
 * are released right after {@code done} returns (so {@code done} only borrows them). Confined to
 * the event loop that sends it.
 */
final class Batch {
    /** One request: a command (owned by the batch from now on) for one cluster. */
    record Request(ClusterView cluster, Command command) {
    }

    private final Request[] requests;
    private final ByteBuf[] replies;
    private final Done done;
    private int outstanding;

    private Batch(List<Request> requests, Done done) {
        this.requests = requests.toArray(Request[]::new);
        this.replies = new ByteBuf[this.requests.length];
        this.done = done;
        this.outstanding = this.requests.length;
    }

    /** What runs when every request of a batch got its reply or failure. */
    interface Done {
        void done(Batch batch);
    }

    /**
     * Sends every request, in order (requests to one cluster are answered in that order), and
     * calls {@code done}, which finds the replies by index ({@link #reply}).
     * Call on an event loop of the listener; {@code done} runs there too, possibly before this returns.
     */
    static void send(VerifyContext context, List<Request> requests, Done done) {
        Batch batch = new Batch(requests, done);
        if (batch.requests.length == 0) {
            done.done(batch);
            return;
        }
        for (int i = 0; i < batch.requests.length; i++) {
            int index = i;
            Request request = batch.requests[i];
            context.send(request.cluster(), request.command(), new ReplyHandler() {
                @Override
                public void onReply(ByteBuf reply) {
                    batch.settle(index, reply);
                }

                @Override
                public void onFailure(String reason) {
                    batch.settle(index, null);
                }
            });
        }
    }

    private void settle(int index, ByteBuf reply) {
        replies[index] = reply;
        if (--outstanding == 0) {
            try {
                done.done(this);
            } finally {
                for (int i = 0; i < requests.length; i++) {
                    requests[i].command().release();
                    if (replies[i] != null) {
                        replies[i].release();
                    }
                }
                Arrays.fill(replies, null);
            }
        }
    }

    int size() {
        return requests.length;
    }

    /** The reply to request {@code i}, or {@code null} when it got none; borrowed, valid during {@code done}. */
    ByteBuf reply(int i) {
        return replies[i];
    }

    Request request(int i) {
        return requests[i];
    }

    /** Whether every request got a reply that is not an error. */
    boolean allSucceeded(ReplyVerification protocol) {
        for (int i = 0; i < requests.length; i++) {
            if (replies[i] == null || protocol.isError(requests[i].command(), replies[i])) {
                return false;
            }
        }
        return true;
    }
}
