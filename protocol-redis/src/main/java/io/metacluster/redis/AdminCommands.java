package io.metacluster.redis;

import io.metacluster.spi.ClientContext;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The commands the proxy answers itself: connection state that must not reach the shared,
 * multiplexed backend connections (PING, ECHO, QUIT, HELLO, SELECT, RESET, AUTH, CLIENT
 * SETNAME/GETNAME/ID/INFO/SETINFO), and the transaction bookkeeping (MULTI, QUEUED, DISCARD, an
 * empty EXEC; see {@link Transaction}). Replies follow Redis 7.0 byte for byte where it can.
 *
 * <p>Called on the client's event loop; the frame is the multibulk the codec produced (inline
 * commands were re-encoded), so it is parsed here again, which is fine for rare commands.
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

    private AdminCommands() {
    }

    static ByteBuf answer(RedisClientCodec codec, Command command, ClientContext ctx) {
        ByteBufAllocator alloc = ctx.alloc();
        if (command.detail() instanceof Transaction.Queued queued) {
            String refusal = codec.queue(queued.command().retain());
            return refusal == null ? simple(alloc, "QUEUED") : codec.error(alloc, command, refusal);
        }
        CommandInfo info = (CommandInfo) command.detail();
        List<byte[]> args = args(command.frame());
        int argc = args.size();
        if (!ctx.authenticated() && !info.name().equals("auth") && !info.name().equals("hello")
                && !info.name().equals("quit")) {
            return codec.error(alloc, command, NOAUTH);
        }
        switch (info.name()) {
            case "multi":
                codec.beginTransaction();
                return simple(alloc, "OK");
            case "exec": // only an empty transaction gets here; the codec forwards the others
                codec.endTransaction();
                return alloc.buffer(4).writeBytes(EMPTY_ARRAY);
            case "discard":
                codec.endTransaction();
                return simple(alloc, "OK");
            case "unwatch": // nothing is ever watched (WATCH is refused)
                return simple(alloc, "OK");
            case "ping":
                if (argc > 2) {
                    return codec.error(alloc, command, RedisClientCodec.arityError(info));
                }
                return argc == 1 ? simple(alloc, "PONG") : bulk(alloc, args.get(1));
            case "echo":
                return bulk(alloc, args.get(1));
            case "quit":
                ctx.closeAfterReply();
                return simple(alloc, "OK");
            case "reset":
                codec.clientName(null);
                codec.endTransaction();
                return simple(alloc, "RESET");
            case "select": {
                long db = integer(args.get(1));
                if (db == Long.MIN_VALUE || db > Integer.MAX_VALUE || db < Integer.MIN_VALUE) {
                    return codec.error(alloc, command, "value is not an integer or out of range");
                }
                return db == 0 ? simple(alloc, "OK")
                        : codec.error(alloc, command, "SELECT to a non-zero database is not supported by metacluster yet");
            }
            case "auth":
                if (argc > 3) {
                    return codec.error(alloc, command, "syntax error");
                }
                if (ctx.authRequired()) {
                    boolean accepted = argc == 2 ? ctx.authenticate(null, text(args.get(1)))
                            : ctx.authenticate(text(args.get(1)), text(args.get(2)));
                    return accepted ? simple(alloc, "OK") : codec.error(alloc, command, WRONGPASS);
                }
                // as Redis without a password: the default user needs none, any other does not exist
                if (argc == 2) {
                    return codec.error(alloc, command, NO_PASSWORD);
                }
                return text(args.get(1)).equals("default") ? simple(alloc, "OK") : codec.error(alloc, command, WRONGPASS);
            case "hello":
                return hello(codec, command, ctx, args);
            case "client|setname": {
                String error = setName(codec, args.get(2));
                return error == null ? simple(alloc, "OK") : codec.error(alloc, command, error);
            }
            case "client|getname":
                return codec.clientName() == null ? alloc.buffer(5).writeBytes(NULL_BULK)
                        : bulk(alloc, codec.clientName().getBytes(StandardCharsets.UTF_8));
            case "client|id":
                return alloc.buffer(24).writeBytes((":" + ctx.id() + "\r\n").getBytes(StandardCharsets.US_ASCII));
            case "client|info":
                return bulk(alloc, clientInfo(codec, ctx).getBytes(StandardCharsets.UTF_8));
            case "client|setinfo": {
                // Redis 7.2: CLIENT SETINFO LIB-NAME|LIB-VER value; accepted and forgotten
                String attr = text(args.get(2));
                if (!attr.equalsIgnoreCase("lib-name") && !attr.equalsIgnoreCase("lib-ver")) {
                    return codec.error(alloc, command, "Unrecognized option '" + attr + "'");
                }
                return argc == 4 ? simple(alloc, "OK") : codec.error(alloc, command, RedisClientCodec.arityError(info));
            }
            default:
                return codec.error(alloc, command, info.displayName() + " is not answered by metacluster");
        }
    }

    private static ByteBuf hello(RedisClientCodec codec, Command command, ClientContext ctx, List<byte[]> args) {
        ByteBufAllocator alloc = ctx.alloc();
        int next = 1;
        if (args.size() >= 2) {
            long version = integer(args.get(next++));
            if (version == Long.MIN_VALUE) {
                return codec.error(alloc, command, "Protocol version is not an integer or out of range");
            }
            if (version != 2) {
                // RESP3 would need per-client protocol on backend connections that clients share
                return codec.error(alloc, command, "NOPROTO unsupported protocol version");
            }
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
                return codec.error(alloc, command, "Syntax error in HELLO option '" + option + "'");
            }
        }
        if (ctx.authRequired()) {
            if (user != null && !ctx.authenticate(user, password)) {
                return codec.error(alloc, command, WRONGPASS);
            }
            if (!ctx.authenticated()) {
                return codec.error(alloc, command, HELLO_NOAUTH);
            }
        } else if (user != null && !user.equals("default")) {
            return codec.error(alloc, command, WRONGPASS);
        }
        if (setName) {
            String error = setName(codec, name.getBytes(StandardCharsets.UTF_8));
            if (error != null) {
                return codec.error(alloc, command, error);
            }
        }
        ByteBuf out = alloc.buffer(160);
        out.writeBytes("*14\r\n".getBytes(StandardCharsets.US_ASCII));
        writeBulk(out, "server");
        writeBulk(out, "redis");
        writeBulk(out, "version");
        writeBulk(out, VERSION);
        writeBulk(out, "proto");
        out.writeBytes(":2\r\n".getBytes(StandardCharsets.US_ASCII));
        writeBulk(out, "id");
        out.writeBytes((":" + ctx.id() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        writeBulk(out, "mode");
        writeBulk(out, "standalone");
        writeBulk(out, "role");
        writeBulk(out, "master");
        writeBulk(out, "modules");
        out.writeBytes("*0\r\n".getBytes(StandardCharsets.US_ASCII));
        return out;
    }

    /** Redis's clientSetName rules; {@code null} when the name was taken. */
    private static String setName(RedisClientCodec codec, byte[] name) {
        for (byte b : name) {
            if (b < '!' || b > '~') {
                return "Client names cannot contain spaces, newlines or special characters.";
            }
        }
        codec.clientName(name.length == 0 ? null : new String(name, StandardCharsets.US_ASCII));
        return null;
    }

    private static String clientInfo(RedisClientCodec codec, ClientContext ctx) {
        String name = codec.clientName() == null ? "" : codec.clientName();
        return "id=" + ctx.id() + " addr=" + ctx.remoteAddress() + " laddr= fd=-1 name=" + name + " age=" + codec.ageSeconds()
                + " idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0"
                + " obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 resp=2"
                + " lib=metacluster:" + ctx.listenerName() + "\n";
    }

    private static final byte[] NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_ARRAY = "*0\r\n".getBytes(StandardCharsets.US_ASCII);

    static ByteBuf simple(ByteBufAllocator alloc, String text) {
        byte[] bytes = ("+" + text + "\r\n").getBytes(StandardCharsets.US_ASCII);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    static ByteBuf bulk(ByteBufAllocator alloc, byte[] value) {
        ByteBuf out = alloc.buffer(value.length + 16);
        writeBulk(out, value);
        return out;
    }

    private static void writeBulk(ByteBuf out, String value) {
        writeBulk(out, value.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBulk(ByteBuf out, byte[] value) {
        out.writeBytes(("$" + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII)).writeBytes(value).writeShort(0x0d0a);
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
