package io.metacluster.redis;

import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientPeer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * {@code CLIENT LIST}, {@code CLIENT KILL} and {@code CLIENT NO-EVICT} about the proxy's own client
 * connections (the proxy is the server its clients talk to; the backends' connections are shared
 * and none of theirs), with Redis 7.0's syntax, errors and replies (networking.c,
 * clientCommand). A client is of type {@code pubsub} while subscribed to anything, else {@code normal}.
 */
final class ClientCommands {
    private static final String SYNTAX = "syntax error";
    private static final Set<String> TYPES = Set.of("normal", "slave", "replica", "pubsub", "master");

    private ClientCommands() {
    }

    /** {@code CLIENT LIST [TYPE type | ID id...]}: a verbatim string of one line per client. */
    static ByteBuf list(ClientContext ctx, List<byte[]> args, boolean resp3) {
        ByteBufAllocator alloc = ctx.alloc();
        int argc = args.size();
        StringBuilder out = new StringBuilder();
        if (argc == 4 && text(args.get(2)).equalsIgnoreCase("type")) {
            String type = text(args.get(3)).toLowerCase();
            if (!TYPES.contains(type)) {
                return RespWriter.error(alloc, "Unknown client type '" + text(args.get(3)) + "'");
            }
            for (ClientPeer peer : ctx.clients()) {
                ClientRecord record = ClientRecord.of(peer);
                if (record.type().equals(type)) {
                    out.append(record.line(peer));
                }
            }
        } else if (argc > 3 && text(args.get(2)).equalsIgnoreCase("id")) {
            List<ClientPeer> clients = ctx.clients();
            for (int j = 3; j < argc; j++) {
                long id = number(args.get(j));
                if (id == Long.MIN_VALUE) {
                    return RespWriter.error(alloc, "Invalid client ID");
                }
                for (ClientPeer peer : clients) {
                    if (peer.id() == id) {
                        out.append(ClientRecord.of(peer).line(peer));
                    }
                }
            }
        } else if (argc != 2) {
            return RespWriter.error(alloc, SYNTAX);
        } else {
            ctx.clients().forEach(peer -> out.append(ClientRecord.of(peer).line(peer)));
        }
        return RespWriter.verbatim(alloc, out.toString(), resp3);
    }

    /**
     * {@code CLIENT KILL addr:port} (+OK, or an error when no client has that address; it may be
     * the caller) or {@code CLIENT KILL filter value ...} (the number killed; the caller only with
     * {@code SKIPME no}). The caller itself is closed after this reply, as Redis does.
     */
    static ByteBuf kill(ClientContext ctx, List<byte[]> args) {
        ByteBufAllocator alloc = ctx.alloc();
        int argc = args.size();
        List<ClientPeer> clients = ctx.clients();
        String addr = null;
        String laddr = null;
        String user = null;
        String type = null;
        long id = 0;
        boolean skipMe = true;
        if (argc == 3) {
            addr = text(args.get(2));
            skipMe = false;
        } else {
            for (int i = 2; i < argc; i += 2) {
                if (i + 1 >= argc) {
                    return RespWriter.error(alloc, SYNTAX);
                }
                String option = text(args.get(i)).toLowerCase();
                String value = text(args.get(i + 1));
                switch (option) {
                    case "id" -> {
                        id = number(args.get(i + 1));
                        if (id < 1) {
                            return RespWriter.error(alloc, "client-id should be greater than 0");
                        }
                    }
                    case "type" -> {
                        type = value.toLowerCase();
                        if (!TYPES.contains(type)) {
                            return RespWriter.error(alloc, "Unknown client type '" + value + "'");
                        }
                    }
                    case "addr" -> addr = value;
                    case "laddr" -> laddr = value;
                    case "user" -> {
                        user = value;
                        if (!userExists(clients, value)) {
                            return RespWriter.error(alloc, "No such user '" + value + "'");
                        }
                    }
                    case "skipme" -> {
                        if (!value.equalsIgnoreCase("yes") && !value.equalsIgnoreCase("no")) {
                            return RespWriter.error(alloc, SYNTAX);
                        }
                        skipMe = value.equalsIgnoreCase("yes");
                    }
                    default -> {
                        return RespWriter.error(alloc, SYNTAX);
                    }
                }
            }
        }
        int killed = 0;
        for (ClientPeer peer : clients) {
            boolean self = peer.id() == ctx.id();
            if ((addr != null && !addr.equals(peer.remoteAddress()))
                    || (laddr != null && !laddr.equals(peer.localAddress()))
                    || (type != null && !type.equals(ClientRecord.of(peer).type()))
                    || (id != 0 && peer.id() != id)
                    || (user != null && !user.equals(ClientRecord.of(peer).user))
                    || (self && skipMe)) {
                continue;
            }
            if (self) {
                ctx.closeAfterReply();
            } else {
                peer.kill();
            }
            killed++;
        }
        if (argc == 3) {
            return killed == 0 ? RespWriter.error(alloc, "No such client") : RespWriter.simple(alloc, "OK");
        }
        ByteBuf out = alloc.buffer(16);
        RespWriter.integer(out, killed);
        return out;
    }

    /** {@code CLIENT NO-EVICT on|off}: accepted, since the proxy evicts no client for memory. */
    static ByteBuf noEvict(ByteBufAllocator alloc, List<byte[]> args) {
        String value = text(args.get(2));
        return value.equalsIgnoreCase("on") || value.equalsIgnoreCase("off") ? RespWriter.simple(alloc, "OK")
                : RespWriter.error(alloc, SYNTAX);
    }

    /** The proxy's users are {@code default} and those its clients logged in as (the listener's {@code auth}). */
    private static boolean userExists(List<ClientPeer> clients, String user) {
        if (user.equals("default")) {
            return true;
        }
        for (ClientPeer peer : clients) {
            if (user.equals(ClientRecord.of(peer).user)) {
                return true;
            }
        }
        return false;
    }

    private static String text(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8);
    }

    /** A decimal, or {@code Long.MIN_VALUE} when it is not one. */
    private static long number(byte[] arg) {
        return RespSplitter.parseDecimal(io.netty.buffer.Unpooled.wrappedBuffer(arg), 0, arg.length);
    }
}
