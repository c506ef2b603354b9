package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientPeer;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection: admits it, takes its commands as the {@link ClientFrameDecoder} emits
 * them and sends each its way by {@link CommandKind}: a read or conditional write to a
 * {@link ReadRequest}, a write to a {@link WriteFanout}, while pinned to the {@link PinnedMode},
 * an admin command to the codec (this session is its {@link ClientContext}). Replies go back
 * through the {@link ReplyQueue}, in request order. Lives on the connection's event loop, and
 * so do the backend connections it uses. As a {@link ClientPeer} it is what the listener's other
 * connections see of it (any thread).
 */
final class ClientSession extends ChannelInboundHandlerAdapter implements ClientContext, ClientPeer {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final Listener listener;
    private final ClientCodec codec;
    private final long id = IDS.incrementAndGet();
    private final Admission admission;
    private final RequestPool pool = new RequestPool();
    /** After a reply or a pinned connection's hello: reading may resume, a pinned connection may open. */
    private final Runnable stateChanged = this::stateChanged;
    private ChannelHandlerContext ctx;
    private ReplyQueue replies;
    private FlowControl flow;
    private RequestContext requests;
    /** Made by the first {@link CommandKind#PINNED} command: most clients never need it. */
    private PinnedMode pinned;
    /** Set by MONITOR: this connection is sent what the listener's clients send. */
    private MonitorOutlet monitor;
    /** The command a client pause holds, if any (Redis CLIENT PAUSE). */
    private PauseHold pause;
    private boolean closeRequested;
    private final long connectedNanos = System.nanoTime();
    /** Set once per read batch, not per request: CLIENT LIST's idle is in seconds. */
    private volatile long lastReadNanos = connectedNanos;
    private volatile Object published;
    /** Its pinned connection once identified, for another client's CLIENT UNBLOCK (any thread). */
    private volatile RequestContext.PinnedBackend pinnedBackend;
    /** See {@link #identityPending}. */
    private volatile boolean identityPending;
    /** Set by {@link #kill} on any thread: the close runs later on this connection's loop, unlisted meanwhile. */
    private volatile boolean killed;

    ClientSession(Listener listener, ClientCodec codec) {
        this.listener = listener;
        this.codec = codec;
        this.admission = new Admission(listener);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        flow = new FlowControl(ctx.channel(), listener);
        replies = new ReplyQueue(ctx, flow, stateChanged);
        requests = new RequestContext(listener, codec, id, ctx, replies,
                new Parking(), pool);
        pause = new PauseHold(listener.pauses, codec, ctx, this::resumeHeld);
        if (!admission.enter(ctx.channel())) {
            log.debug("refusing client {}: max-clients reached", remoteAddress());
            ByteBuf refusal = codec.error(ctx.alloc(), null, "max number of clients reached");
            replies.refuse(refusal != null ? refusal : ctx.alloc().buffer(0));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        FlushBatch.current().begin();
        if (replies.closing()) {
            ReferenceCountUtil.release(msg instanceof Command command ? command.frame() : msg);
            return;
        }
        if (msg instanceof DecodeFailure failure) {
            listener.metrics().error(ListenerMetrics.ErrorKind.PROTOCOL);
            replies.answerNow(codec.error(ctx.alloc(), null, failure.message()), true);
            return;
        }
        Command command = (Command) msg;
        listener.metrics().command(command);
        if (admission.refuses(command)) {
            ByteBuf reply = codec.authenticationRequired(ctx.alloc(), command);
            command.release();
            replies.answerNow(reply);
            return;
        }
        if (pause.holds(command)) {
            stateChanged();
            return;
        }
        run(command);
        if (replies.pending() >= listener.limits().maxPendingPerClient()) {
            stateChanged();
        }
    }

    /** The client pause let go: the held command goes its way, then what the client sent after it. */
    private void resumeHeld() {
        if (replies.isClosed()) {
            return;
        }
        Command command = pause.release();
        if (command == null) {
            return;
        }
        FlushBatch batch = FlushBatch.current();
        batch.begin();
        try {
            run(command);
            stateChanged();
        } finally {
            batch.end();
        }
        pause.decodeOn(); // a read batch of its own
    }

    /** A command the client sent, past admission and any pause: shown to monitors (Redis shows one when it runs), then dispatched. */
    private void run(Command command) {
        if (listener.monitors.active()) {
            listener.monitors.feed(this, command);
        }
        dispatch(command);
    }

    /** To the pinned mode when it takes {@code command}, else by its kind. */
    private void dispatch(Command command) {
        boolean pinnedTookIt = (pinned != null || command.kind() == CommandKind.PINNED) && pinnedMode().offer(command);
        if (!pinnedTookIt) {
            route(command);
        }
    }

    private void route(Command command) {
        switch (command.kind()) {
            case READ, CONDITIONAL_WRITE -> requests.route(pool.read(command, requests));
            case WRITE -> requests.route(pool.write(command, this));
            case ASIDE -> requests.route(new AsideRequest(requests, command));
            case EVERY_NODE -> requests.route(new AgreedRequest(requests, command));
            case ADMIN -> {
                closeRequested = false;
                ByteBuf reply = codec.answer(command, this);
                command.release();
                replies.answerNow(reply, closeRequested);
            }
            case UNSUPPORTED -> {
                ByteBuf reply = codec.error(ctx.alloc(), command, command.rejection());
                command.release();
                replies.answerNow(reply);
            }
            case PINNED -> throw new IllegalStateException("the pinned mode takes every PINNED command");
        }
    }

    private PinnedMode pinnedMode() {
        if (pinned == null) {
            pinned = new PinnedMode(ctx, codec, replies, requests, stateChanged, new PinnedSession() {
                @Override
                public void propagate(Command write, Runnable whenSent) {
                    requests.propagateFromPinned(write, whenSent);
                }

                @Override
                public void reroute(Command command) {
                    dispatch(command);
                }

                @Override
                public void identifying() {
                    identityPending = true;
                }

                @Override
                public void identified(long identity) {
                    pinnedBackend = requests.pinnedBackend(identity);
                    identityPending = false;
                }
            });
        }
        return pinned;
    }

    /** A reply went out or a pinned connection came up: a pinned connection may open now; reading may stop or resume. */
    private void stateChanged() {
        if (replies.isClosed()) {
            return;
        }
        int waiting = 0;
        if (pinned != null) {
            pinned.pinWhenAnswered();
            waiting = pinned.waiting();
        }
        if (monitor != null) {
            monitor.attachWhenAnswered();
        }
        flow.update(replies.pending() + waiting, replies.closing(), pause.holding());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            // the client sent all it will: as Redis and memcached do, answer every request read, then close
            if (!replies.closing()) {
                replies.answerNow(null, true);
            }
        } else if (event instanceof IdleStateEvent && replies.isEmpty() && monitor == null && !pause.holding()) {
            // a monitor only listens, as Redis exempts it from its timeout
            log.debug("closing idle client {}", remoteAddress());
            replies.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        FlushBatch.current().end();
        lastReadNanos = System.nanoTime();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        flow.recount();
        stateChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // requests still at a backend release their replies when those arrive (see ReplyQueue#answer)
        replies.clientClosed();
        flow.recount();
        pause.closed();
        codec.closed();
        if (pinned != null) {
            pinned.clientClosed();
        }
        if (monitor != null) {
            monitor.detach();
        }
        admission.leave();
        pool.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing client {} after an error", remoteAddress(), cause);
        ctx.close();
    }

    /** Whether every request read so far was answered. Call on the session's event loop. */
    boolean idle() {
        return replies == null || replies.isEmpty();
    }

    /** {@code channel}'s remote address as {@code host:port}, for log lines and {@link ClientContext#remoteAddress}. */
    static String address(Channel channel) {
        return String.valueOf(channel.remoteAddress()).replaceFirst("^/", "");
    }

    // ClientContext: what the codec sees while answering an ADMIN command

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
        return ctx == null ? "?" : address(ctx.channel());
    }

    @Override
    public String localAddress() {
        return ctx == null ? "?" : String.valueOf(ctx.channel().localAddress()).replaceFirst("^/", "");
    }

    @Override
    public List<ClientPeer> clients() {
        return listener.clientPeers();
    }

    @Override
    public void pauseClients(long endMillis, boolean writesOnly) {
        listener.pauses.pause(endMillis, writesOnly, id, ctx.executor());
    }

    @Override
    public void unpauseClients() {
        listener.pauses.unpause(id);
    }

    @Override
    public void publish(Object state) {
        published = state;
    }

    // ClientPeer: what the listener's other connections see of this one, from any thread

    @Override
    public long ageSeconds() {
        return (System.nanoTime() - connectedNanos) / 1_000_000_000L;
    }

    @Override
    public long idleSeconds() {
        return (System.nanoTime() - lastReadNanos) / 1_000_000_000L;
    }

    @Override
    public Object published() {
        return published;
    }

    @Override
    public void kill() {
        killed = true;
        if (ctx != null) {
            ctx.channel().close();
        }
    }

    /** Whether a {@link #kill} was asked: Redis frees a killed client at once, so it is no longer listed. */
    boolean killed() {
        return killed;
    }

    @Override
    public String listenerName() {
        return listener.name();
    }

    @Override
    public boolean authRequired() {
        return admission.authRequired();
    }

    @Override
    public boolean authenticated() {
        return admission.authenticated();
    }

    @Override
    public boolean authenticate(String username, String password) {
        return admission.authenticate(username, password);
    }

    @Override
    public void closeAfterReply() {
        closeRequested = true;
    }

    @Override
    public void skipReplies(long count) {
        replies.skipReplies(count);
    }

    @Override
    public void monitor(boolean on) {
        if (on && monitor == null) {
            monitor = new MonitorOutlet(listener, ctx.channel(), replies);
        } else if (!on && monitor != null) {
            monitor.detach();
            monitor = null;
        }
    }

    /** Its pinned connection and that connection's number on its node, or {@code null}; from any thread. */
    RequestContext.PinnedBackend pinnedBackend() {
        return pinnedBackend;
    }

    /** Whether its pinned connection was asked its number and has not said it yet; from any thread. */
    boolean identityPending() {
        return identityPending;
    }

    // What a WriteFanout uses of its client (it takes the session; the ReadRequest takes the RequestContext)

    ClientCodec codec() {
        return codec;
    }

    List<LoopCluster> clusters() {
        return requests.clusters();
    }

    Listener listener() {
        return listener;
    }

    void answerFromBackend(Slot slot, Command command, ByteBuf reply) {
        requests.answerFromBackend(slot, command, reply);
    }

    void answer(Slot slot, ByteBuf reply) {
        requests.answer(slot, reply);
    }

    ByteBuf error(Command command, String message) {
        return requests.error(command, message);
    }

    void reuse(WriteFanout write) {
        pool.reuse(write);
    }
}
