package io.metacluster.redis;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.CommandSplitter;
import io.metacluster.spi.Monitoring;
import io.metacluster.spi.ConditionalWrites;
import io.metacluster.spi.PeerAside;
import io.metacluster.spi.Pinning;
import io.metacluster.spi.ServerReports;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Redis requests from one client connection, put together from one class per concern: the bytes
 * are framed into requests ({@link RequestFramer}: multibulk, or inline re-encoded as multibulk),
 * classified by the command table ({@link CommandClassifier}), and turned into what they are
 * inside or outside MULTI ({@link TransactionState}); the proxy's own answers are
 * {@link AdminCommands}', which keep the client's protocol version and database ({@link Session},
 * the backend lane of its requests). An EVALSHA of a script the proxy has seen leaves as EVAL
 * ({@link ScriptBodies}), so a cluster that lost its script cache cannot answer NOSCRIPT. Pub/sub
 * ({@link PubSubPolicy}), with client-side caching's conversation ({@link ClientTracking}), sharded
 * clusters ({@link ShardSplitter}) and MONITOR ({@link MonitorMode}, which also keeps a monitoring client off
 * the keyspace) are the capabilities it hands out. Protocol errors use Redis's own
 * wording (networking.c) where Redis has one.
 *
 * <p>Per connection, confined to its event loop; never blocks. A partial request is parsed once:
 * the next {@link #decode} resumes where the previous one stopped, which relies on the engine not
 * consuming anything after a {@code null} result.
 */
public final class RedisClientCodec implements ClientCodec {
    private final RequestFramer framer;
    private final CommandClassifier classifier;
    private final TransactionState transaction;
    private final AdminCommands admin;
    private final Session session = new Session();
    private final PubSubPolicy pubsub;
    private final ClientTracking tracking = new ClientTracking();
    private final MonitorMode monitor = new MonitorMode(session);

    public RedisClientCodec(ClientLimits limits) {
        this(limits, CommandTable.standard());
    }

    RedisClientCodec(ClientLimits limits, CommandTable table) {
        this(limits, table, RedisOptions.DEFAULTS);
    }

    RedisClientCodec(ClientLimits limits, CommandTable table, RedisOptions options) {
        this.framer = new RequestFramer(limits);
        this.classifier = new CommandClassifier(table, options.unknown(), options.server());
        this.transaction = new TransactionState(limits);
        this.admin = new AdminCommands(transaction, session, monitor);
        this.pubsub = new PubSubPolicy(admin.record());
    }

    @Override
    public Command decode(ByteBuf in) throws ProtocolException {
        ByteBuf frame = framer.next(in);
        if (frame == null) {
            return null;
        }
        Command classified = classifier.classify(frame, framer.args(), session.lane());
        if (classified.detail() instanceof CommandInfo info) {
            admin.record().command = info.name();
        }
        Command command = monitor.admit(transaction.admit(tracking.admit(
                ScriptBodies.SHARED.admit(UnblockCommand.admit(classified)), framer.args(),
                transaction.open(), pubsub.subscribed())));
        CommandInfo info = command.detail() instanceof CommandInfo plain ? plain
                : command.detail() instanceof WatchedTransaction.Watched watched ? watched.info() : null;
        if (command.kind() != CommandKind.UNSUPPORTED && info != null && info.name().equals("reset")) {
            // here, not when answered: a subscribed, watching or tracking client's RESET goes to its pinned connection
            session.reset();
        }
        if (command.kind() == CommandKind.PINNED && command.detail() instanceof CommandInfo plain) {
            pubsub.sending(plain.name(), framer.args().count() - 1);
        }
        return command;
    }

    @Override
    public ByteBuf answer(Command command, ClientContext context) {
        ByteBuf reply = admin.answer(command, context);
        // AUTH and HELLO ... AUTH are answered here: the first request after a successful one may be large
        if (context.authenticated()) {
            framer.authenticated();
        }
        return reply;
    }

    @Override
    public ByteBuf error(ByteBufAllocator alloc, Command command, String message) {
        return RespWriter.error(alloc, message);
    }

    /** A forwarded transaction's reply is shown from its EXEC reply on: the proxy answered MULTI and QUEUED already. */
    @Override
    public ByteBuf present(Command command, ByteBuf reply) {
        if (command.detail() instanceof Transaction.Exec exec) {
            reply.skipBytes(exec.execReplyOffset(reply));
        }
        return reply;
    }

    /** A nil reply: see {@link Replies#isNil}. */
    @Override
    public boolean isMiss(Command command, ByteBuf reply) {
        return Replies.isNil(reply);
    }

    @Override
    public void closed() {
        transaction.closed();
    }

    @Override
    public CommandSplitter splitter() {
        return ShardSplitter.INSTANCE;
    }

    @Override
    public Pinning pinning() {
        return pubsub;
    }

    @Override
    public ConditionalWrites conditionalWrites() {
        return Effects.INSTANCE;
    }

    /** What Redis 7.0 holds in {@code CLIENT PAUSE ... WRITE}: see {@link PauseCommands#heldByWritePause}. */
    @Override
    public boolean heldByWritePause(Command command) {
        return PauseCommands.heldByWritePause(command);
    }

        /** {@code CLIENT UNBLOCK}: see {@link UnblockCommand}. */
    @Override
    public PeerAside peerAside(Command command) {
        return command.detail() instanceof UnblockCommand unblock ? unblock : null;
    }

    /** {@code INFO}: see {@link InfoReports}. */
    @Override
    public ServerReports reports() {
        return InfoReports.INSTANCE;
    }

    /** MONITOR: see {@link MonitorMode}. */
    @Override
    public Monitoring monitoring() {
        return monitor;
    }
}
