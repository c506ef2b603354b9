package io.metacluster.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * What one client is sent, and when its connection ends. Replies leave strictly in request
 * order: each request takes a {@link Slot} in line when it is read, and a reply that is ready
 * early (a fast cluster, a local answer) waits in its slot until every earlier one is written.
 * Once the connection is closing, replies are released instead of written. Lives on the client's
 * event loop.
 */
final class ReplyQueue {
    private final ChannelHandlerContext ctx;
    private final FlowControl flow;
    /** Told after every answer: the owner may now resume reading, or open a pinned connection. */
    private final Runnable afterAnswer;
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private boolean closing;
    private boolean closed;
    /** Requests, from the next one taken in line, whose replies are dropped (Redis CLIENT REPLY); mostly 0. */
    private long skipping;

    ReplyQueue(ChannelHandlerContext ctx, FlowControl flow, Runnable afterAnswer) {
        this.ctx = ctx;
        this.flow = flow;
        this.afterAnswer = afterAnswer;
    }

    /** A request read from the client takes its place in line; {@link #answer} it later. */
    void add(Slot slot) {
        slot.silent = skipping > 0;
        if (skipping > 0 && skipping != Long.MAX_VALUE) {
            skipping--;
        }
        slots.add(slot);
    }

    /** See {@link io.metacluster.spi.ClientContext#skipReplies}: counted from the next request taken in line. */
    void skipReplies(long count) {
        skipping = count;
    }

    /** Answers a request the moment it is read (a local answer, a refusal): in line behind the earlier ones. */
    void answerNow(ByteBuf reply) {
        answerNow(reply, false);
    }

    /** {@link #answerNow(ByteBuf)}, closing the connection once the reply is written when {@code closeAfter}. */
    void answerNow(ByteBuf reply, boolean closeAfter) {
        Slot slot = new Slot();
        slot.closeAfter = closeAfter;
        add(slot);
        answer(slot, reply);
    }

    /**
     * {@code slot} is done with {@code reply} ({@code null}: nothing to write, owned from now on);
     * writes every reply that is now at the head of the line.
     */
    void answer(Slot slot, ByteBuf reply) {
        slot.answer(reply);
        if (closed) {
            slots.remove(slot);
            ReferenceCountUtil.release(reply);
            slot.reply = null;
            return;
        }
        boolean wrote = false;
        Slot head;
        while ((head = slots.peek()) != null && head.done) {
            slots.poll();
            if (head.reply != null) {
                if (closing || head.silent) {
                    head.reply.release();
                } else {
                    ctx.write(head.reply, ctx.voidPromise());
                    wrote = true;
                }
                head.reply = null;
            }
            if (head.closeAfter && !closing) {
                closing = true;
                ctx.writeAndFlush(ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
                wrote = false;
            }
            head.dequeued();
        }
        if (wrote) {
            FlushBatch.current().flush(ctx.channel());
            enforceOutputLimit();
        }
        afterAnswer.run();
    }

    /** Writes {@code message} (owned from now on) at once, out of line: what a pinned connection sends unasked. */
    void push(ByteBuf message) {
        if (closing || closed) {
            message.release();
            return;
        }
        ctx.write(message, ctx.voidPromise());
        FlushBatch.current().flush(ctx.channel());
        enforceOutputLimit();
    }

    /** A client that leaves too many replies unread is dropped; the daemon's memory is not its buffer. */
    private void enforceOutputLimit() {
        if (flow.overOutputLimit()) {
            close();
        }
    }

    /** Writes {@code refusal} (owned from now on) as the only reply, then closes: the client is not taken. */
    void refuse(ByteBuf refusal) {
        closing = true;
        ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes the connection now; what is still to come is released. */
    void close() {
        closing = true;
        ctx.close();
    }

    /** The connection closed: replies answered already are released, those still at a backend when they come. */
    void clientClosed() {
        closed = true;
        slots.removeIf(slot -> {
            if (slot.done) {
                ReferenceCountUtil.release(slot.reply);
                slot.reply = null;
                return true;
            }
            return false;
        });
    }

    /** Whether the connection is closing or closed: nothing more is read or written. */
    boolean closing() {
        return closing || closed;
    }

    /** Whether the connection closed ({@link #clientClosed()} was called). */
    boolean isClosed() {
        return closed;
    }

    /** Requests read and not yet written back. */
    int pending() {
        return slots.size();
    }

    boolean isEmpty() {
        return slots.isEmpty();
    }

    /** Whether {@code slot} is next to be written: every request before it was answered. */
    boolean isNext(Slot slot) {
        return slots.peek() == slot;
    }
}
