package io.metacluster.redis;

import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientPeer;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The commands the proxy answers itself: connection state that must not reach the shared,
 * multiplexed backend connections (PING, ECHO, QUIT, HELLO, SELECT, RESET, AUTH, CLIENT
 * SETNAME/GETNAME/ID/INFO/SETINFO/REPLY), the proxy's own client connections (CLIENT LIST/KILL/NO-EVICT,
 * {@link ClientCommands}; CLIENT PAUSE/UNPAUSE, {@link PauseCommands}), and the transaction
 * bookkeeping (MULTI, QUEUED, DISCARD, an empty EXEC; see {@link Transaction}). Replies follow Redis 7.0 byte for byte where it can.
 *
 * Replies the proxy makes itself are in the client's protocol version where RESP3 differs from
 * RESP2 (HELLO's map, a nil, CLIENT INFO's verbatim string); the rest is the same in both.
 *
 * <p>Per connection: it holds the client's {@link ClientRecord} (name, user...), publishes it for the
 * listener's other connections, and sets its {@link Session}. Called on the client's event loop; the
 * frame is the multibulk the codec produced (inline commands were re-encoded), so it is parsed
 * here again, which is fine for rare commands.
 */
final class AdminCommands {
    static final String VERSION = "7.0.15";
    private static final String NO_PASSWORD = "AUTH <password> called without any password configured for the default user. "
            + "Are you sure your configuration is correct?";
    private static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
    private static final String NOAUTH = "NOAUTH Authentication required.";
    private static final String HELLO_NOAUTH = "NOAUTH HELLO must be called with the client already authenticated, "
            + "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            + "select the RESP protocol version at the same time";

    private final TransactionState transaction;
    private final Session session;
    private final MonitorMode monitor;
    /** The client's name, user, database... as its own CLIENT INFO and other clients' CLIENT LIST show them. */
    private final ClientRecord record = new ClientRecord();
    private final long createdNanos = System.nanoTime();
    /** CLIENT REPLY OFF is in force: a SKIP changes nothing then, as in Redis. */
    private boolean repliesOff;

    AdminCommands(TransactionState transaction, Session session, MonitorMode monitor) {
        this.transaction = transaction;
        this.session = session;
        this.monitor = monitor;
    }

    ClientRecord record() {
        return record;
    }

    /** See {@link io.metacluster.spi.ClientCodec#answer}. */
    ByteBuf answer(Command command, ClientContext ctx) {
        ByteBuf reply = answerCommand(command, ctx);
        refresh(ctx); // after each command the proxy answers, since only those change what the record holds
        return reply;
    }

    private void refresh(ClientContext ctx) {
        record.database = session.database();
        record.resp3 = session.resp3();
        record.multi = transaction.queued();
        record.monitor = monitor.active();
        ctx.publish(record);
    }

    private ByteBuf answerCommand(Command command, ClientContext ctx) {
        ByteBufAllocator alloc = ctx.alloc();
        if (command.detail() instanceof Transaction.Queued queued) {
            String refusal = transaction.queue(queued.command().retain());
            return refusal == null ? RespWriter.simple(alloc, "QUEUED") : RespWriter.error(alloc, refusal);
        }
        CommandInfo info = (CommandInfo) command.detail();
        List<byte[]> args = args(command.frame());
        int argc = args.size();
        if (!ctx.authenticated() && !info.name().equals("auth") && !info.name().equals("hello")
                && !info.name().equals("quit")) {
            return RespWriter.error(alloc, NOAUTH);
        }
        switch (info.name()) {
            case "multi":
                transaction.begin();
                return RespWriter.simple(alloc, "OK");
            case "exec": // only an empty transaction gets here; the codec forwards the others
                transaction.end();
                return emptyArray(alloc);
            case "discard":
                transaction.end();
                return RespWriter.simple(alloc, "OK");
            case "unwatch": // nothing is watched: a WATCH makes the client's commands a WatchedTransaction's, UNWATCH included
                return RespWriter.simple(alloc, "OK");
            case "ping":
                if (argc > 2) {
                    return RespWriter.error(alloc, CommandClassifier.arityError(info));
                }
                return argc == 1 ? RespWriter.simple(alloc, "PONG") : RespWriter.bulk(alloc, args.get(1));
            case "echo":
                return RespWriter.bulk(alloc, args.get(1));
            case "quit":
                ctx.closeAfterReply();
                return RespWriter.simple(alloc, "OK");
            case "reset":
                record.name = null; // the session was reset when RESET was decoded
                transaction.end();
                replies(ctx, 0);
                monitor.reset(ctx);
                return RespWriter.simple(alloc, "RESET");
            case "select": {
                long db = integer(args.get(1));
                if (db == Long.MIN_VALUE) {
                    return RespWriter.error(alloc, "value is not an integer or out of range");
                }
                if (db < 0 || db >= Session.DATABASES) {
                    return RespWriter.error(alloc, "DB index is out of range");
                }
                session.select((int) db);
                return RespWriter.simple(alloc, "OK");
            }
            case "auth":
                if (argc > 3) {
                    return RespWriter.error(alloc, "syntax error");
                }
                if (ctx.authRequired()) {
                    boolean accepted = argc == 2 ? ctx.authenticate(null, text(args.get(1)))
                            : ctx.authenticate(text(args.get(1)), text(args.get(2)));
                    if (accepted) {
                        record.user = argc == 2 ? "default" : text(args.get(1));
                    }
                    return accepted ? RespWriter.simple(alloc, "OK") : RespWriter.error(alloc, WRONGPASS);
                }
                // as Redis without a password: the default user needs none, any other does not exist
                if (argc == 2) {
                    return RespWriter.error(alloc, NO_PASSWORD);
                }
                return text(args.get(1)).equals("default") ? RespWriter.simple(alloc, "OK") : RespWriter.error(alloc, WRONGPASS);
            case "hello":
                return hello(ctx, args);
            case "client|setname": {
                String error = setName(args.get(2));
                return error == null ? RespWriter.simple(alloc, "OK") : RespWriter.error(alloc, error);
            }
            case "client|getname":
                String name = record.name;
                return name == null ? RespWriter.nil(alloc, session.resp3()) : RespWriter.bulk(alloc, name.getBytes(StandardCharsets.UTF_8));
            case "client|id":
                return integer(alloc, ctx.id());
            case "client|info":
                refresh(ctx);
                return RespWriter.verbatim(alloc, record.line(self(ctx)), session.resp3());
            case "client|list":
                refresh(ctx);
                return ClientCommands.list(ctx, args, session.resp3());
            case "client|kill":
                return ClientCommands.kill(ctx, args);
            case "client|no-evict":
                return ClientCommands.noEvict(alloc, args);
            case "monitor":
                return monitor.start(ctx);
            case "client|reply": { // the proxy writes every reply, so it is the one to hold them back
                String mode = text(args.get(2));
                if (mode.equalsIgnoreCase("on")) {
                    replies(ctx, 0);
                    return RespWriter.simple(alloc, "OK");
                } else if (mode.equalsIgnoreCase("off")) {
                    replies(ctx, Long.MAX_VALUE);
                } else if (mode.equalsIgnoreCase("skip")) {
                    if (!repliesOff) {
                        replies(ctx, 2); // its own reply and the next one's
                    }
                } else {
                    return RespWriter.error(alloc, "syntax error");
                }
                return null;
            }
            case "client|pause":
                return PauseCommands.pause(ctx, args);
            case "client|unpause":
                return PauseCommands.unpause(ctx);
            case "client|setinfo": {
                // Redis 7.2: CLIENT SETINFO LIB-NAME|LIB-VER value; accepted and forgotten
                String attr = text(args.get(2));
                if (!attr.equalsIgnoreCase("lib-name") && !attr.equalsIgnoreCase("lib-ver")) {
                    return RespWriter.error(alloc, "Unrecognized option '" + attr + "'");
                }
                return argc == 4 ? RespWriter.simple(alloc, "OK") : RespWriter.error(alloc, CommandClassifier.arityError(info));
            }
            default:
                return RespWriter.error(alloc, info.displayName() + " is not answered by metacluster");
        }
    }

    private ByteBuf hello(ClientContext ctx, List<byte[]> args) {
        ByteBufAllocator alloc = ctx.alloc();
        int next = 1;
        boolean resp3 = session.resp3();
        if (args.size() >= 2) {
            long version = integer(args.get(next++));
            if (version == Long.MIN_VALUE) {
                return RespWriter.error(alloc, "Protocol version is not an integer or out of range");
            }
            if (version != 2 && version != 3) {
                return RespWriter.error(alloc, "NOPROTO unsupported protocol version");
            }
            resp3 = version == 3;
        }
        String user = null;
        String password = null;
        String name = null;
        boolean setName = false;
        for (int j = next; j < args.size(); j++) {
            int more = args.size() - 1 - j;
            String option = text(args.get(j));
            if (option.equalsIgnoreCase("AUTH") && more >= 2) {
                user = text(args.get(j + 1));
                password = text(args.get(j + 2));
                j += 2;
            } else if (option.equalsIgnoreCase("SETNAME") && more >= 1) {
                name = text(args.get(j + 1));
                setName = true;
                j++;
            } else {
                return RespWriter.error(alloc, "Syntax error in HELLO option '" + option + "'");
            }
        }
        if (ctx.authRequired()) {
            if (user != null && !ctx.authenticate(user, password)) {
                return RespWriter.error(alloc, WRONGPASS);
            }
            if (user != null) {
                record.user = user;
            }
            if (!ctx.authenticated()) {
                return RespWriter.error(alloc, HELLO_NOAUTH);
            }
        } else if (user != null && !user.equals("default")) {
            return RespWriter.error(alloc, WRONGPASS);
        }
        if (setName) {
            String error = setName(name.getBytes(StandardCharsets.UTF_8));
            if (error != null) {
                return RespWriter.error(alloc, error);
            }
        }
        session.protocol(resp3);
        // id and mode describe the proxy, which is the server its clients talk to; the rest is Redis's
        ByteBuf out = alloc.buffer(160);
        RespWriter.mapHeader(out, 7, resp3);
        RespWriter.bulk(out, "server");
        RespWriter.bulk(out, "redis");
        RespWriter.bulk(out, "version");
        RespWriter.bulk(out, VERSION);
        RespWriter.bulk(out, "proto");
        RespWriter.integer(out, resp3 ? 3 : 2);
        RespWriter.bulk(out, "id");
        RespWriter.integer(out, ctx.id());
        RespWriter.bulk(out, "mode");
        RespWriter.bulk(out, "standalone");
        RespWriter.bulk(out, "role");
        RespWriter.bulk(out, "master");
        RespWriter.bulk(out, "modules");
        RespWriter.arrayHeader(out, 0);
        return out;
    }

    /** CLIENT REPLY: see {@link ClientContext#skipReplies}. */
    private void replies(ClientContext ctx, long skip) {
        repliesOff = skip == Long.MAX_VALUE;
        ctx.skipReplies(skip);
    }

    /** Redis's clientSetName rules; {@code null} when the name was taken. */
    private String setName(byte[] name) {
        for (byte b : name) {
            if (b < '!' || b > '~') {
                return "Client names cannot contain spaces, newlines or special characters.";
            }
        }
        record.name = name.length == 0 ? null : new String(name, StandardCharsets.US_ASCII);
        return null;
    }

    /** This connection as a {@link ClientPeer}, for its own CLIENT INFO line: it is running a command, so not idle. */
    private ClientPeer self(ClientContext ctx) {
        return new ClientPeer() {
            @Override
            public long id() {
                return ctx.id();
            }

            @Override
            public String remoteAddress() {
                return ctx.remoteAddress();
            }

            @Override
            public String localAddress() {
                return ctx.localAddress();
            }

            @Override
            public long ageSeconds() {
                return (System.nanoTime() - createdNanos) / 1_000_000_000L;
            }

            @Override
            public long idleSeconds() {
                return 0;
            }

            @Override
            public Object published() {
                return record;
            }

            @Override
            public void kill() {
                ctx.closeAfterReply();
            }
        };
    }

    private static ByteBuf integer(ByteBufAllocator alloc, long n) {
        ByteBuf out = alloc.buffer(24);
        RespWriter.integer(out, n);
        return out;
    }

    private static ByteBuf emptyArray(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(4);
        RespWriter.arrayHeader(out, 0);
        return out;
    }

    private static String text(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8);
    }

    private static long integer(byte[] arg) {
        ByteBuf wrapped = io.netty.buffer.Unpooled.wrappedBuffer(arg);
        return RespSplitter.parseDecimal(wrapped, 0, arg.length);
    }

    /** The arguments of a complete multibulk frame. */
    static List<byte[]> args(ByteBuf frame) {
        int pos = frame.readerIndex();
        int cr = frame.indexOf(pos, frame.writerIndex(), (byte) '\r');
        int count = (int) RespSplitter.parseDecimal(frame, pos + 1, cr);
        pos = cr + 2;
        List<byte[]> args = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            cr = frame.indexOf(pos, frame.writerIndex(), (byte) '\r');
            int length = (int) RespSplitter.parseDecimal(frame, pos + 1, cr);
            byte[] arg = new byte[length];
            frame.getBytes(cr + 2, arg);
            args.add(arg);
            pos = cr + 2 + length + 2;
        }
        return args;
    }
}
