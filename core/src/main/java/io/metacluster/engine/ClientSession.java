package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Pinning;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection: routes its commands and writes the replies back strictly in request
 * order. Lives on the connection's event loop, and so do the backend connections it uses.
 */
final class ClientSession extends ChannelInboundHandlerAdapter implements ClientContext {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final Listener listener;
    private final ClientCodec codec;
    private final long id = IDS.incrementAndGet();
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    /**
     * Requests waiting for a conditional write (memcached cas) to finish: its propagation to the
     * other clusters must reach them before this client's later writes, and a later read must see it.
     */
    private final ArrayDeque<Slot> parked = new ArrayDeque<>();
    private int conditionalsInFlight;
    /**
     * Finished requests kept for the next ones: a busy client would otherwise allocate one per
     * command. A request comes back only when nothing refers to it any more (see {@link Slot#dequeued}).
     */
    private final ArrayDeque<ReadRequest> spareReads = new ArrayDeque<>();
    private final ArrayDeque<WriteFanout> spareWrites = new ArrayDeque<>();
    private static final int MAX_SPARES = 32;
    /**
     * Pinned mode ({@link CommandKind#PINNED}, Redis pub/sub): from the first such command until
     * {@link Pinning#endsPinning}. Its backend connection, once up; the commands waiting for
     * it (it is only opened once every earlier request is answered, so replies stay in order).
     */
    private boolean pinning;
    private boolean connectingPinned;
    private Channel pinned;
    private final ArrayDeque<Command> waitingForPin = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private List<LoopCluster> clusters;
    private boolean counted;
    private boolean closing;
    private boolean closed;
    private boolean closeRequested;
    private boolean authenticated;

    ClientSession(Listener listener, ClientCodec codec) {
        this.listener = listener;
        this.codec = codec;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clusters = listener.clustersOf(ctx.channel().eventLoop());
        if (!listener.admit()) {
            listener.metrics().rejected.mark();
            log.debug("refusing client {}: max-clients reached", remoteAddress());
            ByteBuf refusal = codec.error(ctx.alloc(), null, "max number of clients reached");
            ctx.writeAndFlush(refusal != null ? refusal : ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
            closing = true;
            return;
        }
        counted = true;
        listener.clientChannels.add(ctx.channel());
        listener.metrics().accepted.mark();
        listener.metrics().connections.inc();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        FlushBatch.current().begin();
        if (closing) {
            ReferenceCountUtil.release(msg instanceof Command command ? command.frame() : msg);
            return;
        }
        if (msg instanceof DecodeFailure failure) {
            Slot slot = new Slot();
            slot.closeAfter = true;
            slots.add(slot);
            answer(slot, codec.error(ctx.alloc(), null, failure.message()));
            return;
        }
        Command command = (Command) msg;
        listener.metrics().commands(command.kind()).inc();
        if (!authenticated && command.kind() != CommandKind.ADMIN && listener.config().auth() != null) {
            Slot slot = new Slot();
            slots.add(slot);
            ByteBuf reply = codec.authenticationRequired(ctx.alloc(), command);
            command.release();
            answer(slot, reply);
            return;
        }
        if (pinning) {
            Pinning.Route route = codec.pinning().whilePinned(command);
            if (route == Pinning.Route.FORWARD) {
                toPinned(command);
                return;
            }
            if (route == Pinning.Route.REFUSE) {
                ByteBuf reply = codec.error(ctx.alloc(), command, codec.pinning().refusal(command));
                command.release();
                answerNow(reply);
                return;
            }
        }
        switch (command.kind()) {
            case PINNED -> {
                pinning = true;
                toPinned(command);
            }
            case READ, CONDITIONAL_WRITE -> {
                ReadRequest read = spareReads.poll();
                route((read != null ? read : new ReadRequest(this)).of(command));
            }
            case WRITE -> {
                WriteFanout write = spareWrites.poll();
                route((write != null ? write : new WriteFanout(this)).of(command));
            }
            case ADMIN -> {
                Slot slot = new Slot();
                slots.add(slot);
                closeRequested = false;
                ByteBuf reply = codec.answer(command, this);
                slot.closeAfter = closeRequested;
                command.release();
                answer(slot, reply);
            }
            case UNSUPPORTED -> {
                Slot slot = new Slot();
                slots.add(slot);
                ByteBuf reply = codec.error(ctx.alloc(), command, command.rejection());
                command.release();
                answer(slot, reply);
            }
        }
        if (slots.size() >= listener.limits().maxPendingPerClient()) {
            updateAutoRead();
        }
    }

    private void answerNow(ByteBuf reply) {
        Slot slot = new Slot();
        slots.add(slot);
        answer(slot, reply);
    }

    /** A command for the pinned connection: sent now, or once the connection is up. */
    private void toPinned(Command command) {
        if (pinned != null) {
            pinned.write(command.frame(), pinned.voidPromise()); // the frame's reference goes with it
            FlushBatch.current().flush(pinned);
            return;
        }
        waitingForPin.add(command);
        pinWhenAnswered();
    }

    /** Opens the pinned connection once every earlier request is answered (their replies come first). */
    private void pinWhenAnswered() {
        if (!pinning || pinned != null || connectingPinned || !slots.isEmpty() || waitingForPin.isEmpty() || closed) {
            return;
        }
        Command first = waitingForPin.peek();
        LoopCluster target = (LoopCluster) listener.selector().select(first, clusters);
        if (target == null) {
            failPinning("no cluster can serve " + first.name() + " now: no cluster is up");
            return;
        }
        connectingPinned = true;
        target.connectPinned(first, this).addListener(future -> {
            if (!future.isSuccess()) {
                pinnedClosed(((io.netty.channel.ChannelFuture) future).channel());
            }
        });
    }

    /** The pinned connection said hello: what waited for it goes now. */
    void pinnedReady(Channel channel) {
        if (closed || !connectingPinned) {
            channel.close();
            return;
        }
        connectingPinned = false;
        pinned = channel;
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            channel.write(command.frame(), channel.voidPromise());
        }
        FlushBatch.current().flush(channel);
        updateAutoRead();
    }

    /** A message from the pinned connection, written to the client as it comes. */
    void pinnedMessage(Channel channel, ByteBuf message) {
        if (channel != pinned || closed || closing) {
            message.release();
            return;
        }
        boolean ends = codec.pinning().endsPinning(message);
        ctx.write(message, ctx.voidPromise());
        FlushBatch.current().flush(ctx.channel());
        enforceOutputLimit();
        if (ends) {
            pinning = false;
            pinned = null;
            channel.close();
        }
    }

    /** The pinned connection closed or could not be opened. */
    void pinnedClosed(Channel channel) {
        if (closed || (channel != pinned && !connectingPinned)) {
            return;
        }
        boolean wasUp = pinned != null;
        pinned = null;
        connectingPinned = false;
        if (wasUp && pinning) {
            // the subscriptions are gone with it: the client must see a lost connection and subscribe again
            log.debug("closing client {}: its pinned backend connection closed", remoteAddress());
            closing = true;
            ctx.close();
        } else if (pinning) {
            failPinning("no cluster can serve " + (waitingForPin.isEmpty() ? "it" : waitingForPin.peek().name())
                    + " now: the backend connection could not be opened");
        }
    }

    /** Nothing reached a pinned connection yet: its commands are answered with {@code reason}, and pinning ends. */
    private void failPinning(String reason) {
        pinning = false;
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            ByteBuf reply = codec.error(ctx.alloc(), command, reason);
            command.release();
            answerNow(reply);
        }
    }

    private void route(Slot request) {
        slots.add(request);
        if (conditionalsInFlight > 0) {
            parked.add(request);
        } else {
            begin(request);
        }
    }

    private void begin(Slot request) {
        if (request instanceof ReadRequest read && read.conditional()) {
            conditionalsInFlight++;
        }
        request.start();
    }

    /** A conditional write was answered and its propagation sent: what waited behind it may go. */
    void conditionalDone() {
        conditionalsInFlight--;
        while (conditionalsInFlight == 0 && !parked.isEmpty()) {
            begin(parked.poll());
        }
    }

    void reuse(ReadRequest read) {
        if (!closed && spareReads.size() < MAX_SPARES) {
            spareReads.push(read);
        }
    }

    void reuse(WriteFanout write) {
        if (!closed && spareWrites.size() < MAX_SPARES) {
            spareWrites.push(write);
        }
    }

    /** A backend's reply for {@code slot}, as the protocol presents it to the client. */
    void answerFromBackend(Slot slot, Command command, ByteBuf reply) {
        answer(slot, codec.present(command, reply));
    }

    /** {@code slot} is done; writes every reply that is now at the head of the line. */
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
                if (closing) {
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
        pinWhenAnswered();
        updateAutoRead();
    }

    /** A client that leaves too many replies unread is dropped; the daemon's memory is not its buffer. */
    private void enforceOutputLimit() {
        var outbound = ctx.channel().unsafe().outboundBuffer();
        if (outbound != null && outbound.totalPendingWriteBytes() > listener.limits().maxOutputBytes()) {
            log.info("disconnecting client {} of listener {}: {} bytes of replies unread (max-output-bytes {})",
                    remoteAddress(), listener.name(), outbound.totalPendingWriteBytes(), listener.limits().maxOutputBytes());
            listener.metrics().outputLimitDisconnects.mark();
            closing = true;
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent && slots.isEmpty()) {
            log.debug("closing idle client {}", remoteAddress());
            closing = true;
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    ByteBuf error(Command command, String message) {
        return codec.error(ctx.alloc(), command, message);
    }

    /** Stops reading from a client that has too much in flight or does not read its replies. */
    private void updateAutoRead() {
        if (closed) {
            return;
        }
        int pending = slots.size() + waitingForPin.size();
        int max = listener.limits().maxPendingPerClient();
        boolean autoRead = ctx.channel().config().isAutoRead();
        if (autoRead && (pending >= max || !ctx.channel().isWritable() || listener.draining)) {
            ctx.channel().config().setAutoRead(false);
        } else if (!autoRead && !closing && !listener.draining && pending <= max / 2 && ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        FlushBatch.current().end();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        codec.closed();
        if (pinned != null) {
            pinned.close();
            pinned = null;
        }
        for (Command command; (command = waitingForPin.poll()) != null; ) {
            command.release();
        }
        if (counted) {
            listener.metrics().connections.dec();
            listener.release();
        }
        // requests still at a backend release their replies when those arrive (see answer)
        slots.removeIf(slot -> {
            if (slot.done) {
                ReferenceCountUtil.release(slot.reply);
                slot.reply = null;
                return true;
            }
            return false;
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing client {} after an error", remoteAddress(), cause);
        ctx.close();
    }

    /** Whether every request read so far was answered. Call on the session's event loop. */
    boolean idle() {
        return slots.isEmpty();
    }

    ClientCodec codec() {
        return codec;
    }

    List<LoopCluster> clusters() {
        return clusters;
    }

    int clusterIndex(LoopCluster cluster) {
        return clusters.indexOf(cluster);
    }

    Listener listener() {
        return listener;
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String remoteAddress() {
        return ctx == null ? "?" : String.valueOf(ctx.channel().remoteAddress()).replaceFirst("^/", "");
    }

    @Override
    public String listenerName() {
        return listener.name();
    }

    @Override
    public boolean authRequired() {
        return listener.config().auth() != null;
    }

    @Override
    public boolean authenticated() {
        return authenticated || !authRequired();
    }

    @Override
    public boolean authenticate(String username, String password) {
        boolean accepted = authRequired() && listener.config().auth().accepts(username, password);
        if (accepted) {
            authenticated = true;
        } else {
            listener.metrics().authFailures.mark();
        }
        return accepted;
    }

    @Override
    public void closeAfterReply() {
        closeRequested = true;
    }
}
