package io.metacluster.redis;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Redis requests from one client connection: multibulk ({@code *N\r\n$len\r\n...}) and inline
 * commands (a space-separated line, as typed into telnet), classified by the command table.
 *
 * <p>A multibulk frame is a retained slice of the client's bytes (no copy); an inline command is
 * re-encoded as multibulk (a small copy; inline is rare and interactive) so that backends always
 * see multibulk and quoting is resolved once, here. Key ranges point at the key payloads in the
 * frame. Protocol errors use Redis's own wording (networking.c) where Redis has one.
 *
 * <p>Per connection, confined to its event loop; never blocks. A partial request is parsed once:
 * the next {@link #decode} resumes where the previous one stopped, which relies on the engine not
 * consuming anything after a {@code null} result.
 */
public final class RedisClientCodec implements ClientCodec {
    /** Error codes Redis puts first in an error reply; other messages get {@code ERR}. */
    private static final Set<String> ERROR_CODES = Set.of("ERR", "WRONGTYPE", "NOAUTH", "NOPROTO", "NOPERM", "NOSCRIPT",
            "BUSY", "BUSYKEY", "BUSYGROUP", "LOADING", "READONLY", "MASTERDOWN", "MISCONF", "EXECABORT", "OOM",
            "NOREPLICAS", "UNBLOCKED", "WRONGPASS", "CROSSSLOT", "MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN",
            "NOGOODSLAVE", "NOTBUSY", "NOGROUP", "UNKILLABLE");

    private final ClientLimits limits;
    private final RedisOptions.Unknown unknown;
    private final CommandTable table;
    private final KeyFinder keyFinder = new KeyFinder();
    private final long createdNanos = System.nanoTime();

    /** Arguments of the request being parsed: (offset from frame start, length) pairs. */
    private int[] args = new int[32];
    /** Arguments of the multibulk being parsed, or -1 between requests. */
    private int argc = -1;
    private int parsedArgs;
    private int resumeOffset;

    private String clientName;
    /** The client's MULTI ... EXEC being queued, or {@code null} outside a transaction. */
    private Transaction transaction;

    public RedisClientCodec(ClientLimits limits) {
        this(limits, CommandTable.standard());
    }

    RedisClientCodec(ClientLimits limits, CommandTable table) {
        this(limits, table, RedisOptions.Unknown.REJECT);
    }

    RedisClientCodec(ClientLimits limits, CommandTable table, RedisOptions.Unknown unknown) {
        this.unknown = unknown;
        this.limits = limits;
        this.table = table;
    }

    @Override
    public Command decode(ByteBuf in) throws ProtocolException {
        try {
            while (in.isReadable()) {
                int start = in.readerIndex();
                if (in.getByte(start) == '*') {
                    int length = multibulk(in, start);
                    if (length < 0) {
                        return null;
                    }
                    if (length == 0) {
                        continue; // "*0" or "*-1": Redis ignores an empty multibulk
                    }
                    ByteBuf frame = in.retainedSlice(start, length);
                    in.skipBytes(length);
                    int count = argc;
                    argc = -1;
                    return classify(frame, count);
                }
                Command inline = inline(in, start);
                if (inline != null || in.readerIndex() == start) {
                    return inline;
                }
                // a blank line was skipped; look at what follows
            }
            return null;
        } catch (ProtocolException e) {
            argc = -1;
            resumeOffset = 0;
            throw e;
        }
    }

    /** Parses a multibulk at {@code start}: its length, 0 when it was empty (and consumed), -1 when incomplete. */
    private int multibulk(ByteBuf in, int start) throws ProtocolException {
        int end = in.writerIndex();
        int pos;
        if (argc < 0) {
            int cr = RespSplitter.findCr(in, start + 1, end, limits.maxInlineBytes());
            if (cr == -2) {
                throw new ProtocolException("Protocol error: too big mbulk count string");
            }
            if (cr < 0 || cr + 1 >= end) {
                return -1;
            }
            requireLf(in, cr);
            long n = RespSplitter.parseDecimal(in, start + 1, cr);
            if (n == Long.MIN_VALUE || n > Integer.MAX_VALUE || n > limits.maxElements()) {
                throw new ProtocolException("Protocol error: invalid multibulk length");
            }
            if (n <= 0) {
                in.skipBytes(cr + 2 - start);
                return 0;
            }
            argc = (int) n;
            parsedArgs = 0;
            pos = cr + 2;
        } else {
            pos = start + resumeOffset;
        }
        while (parsedArgs < argc) {
            if (pos >= end) {
                resumeOffset = pos - start;
                return -1;
            }
            byte type = in.getByte(pos);
            if (type != '$') {
                throw new ProtocolException("Protocol error: expected '$', got '" + (char) (type & 0xff) + "'");
            }
            int cr = RespSplitter.findCr(in, pos + 1, end, limits.maxInlineBytes());
            if (cr == -2) {
                throw new ProtocolException("Protocol error: too big bulk count string");
            }
            if (cr < 0 || cr + 1 >= end) {
                resumeOffset = pos - start;
                return -1;
            }
            requireLf(in, cr);
            long length = RespSplitter.parseDecimal(in, pos + 1, cr);
            if (length < 0 || length > limits.maxFrameBytes() || length > Integer.MAX_VALUE - 64) {
                throw new ProtocolException("Protocol error: invalid bulk length");
            }
            long dataEnd = cr + 2 + length;
            if (dataEnd + 2 > end) {
                resumeOffset = pos - start;
                return -1;
            }
            if (in.getByte((int) dataEnd) != '\r' || in.getByte((int) dataEnd + 1) != '\n') {
                throw new ProtocolException("Protocol error: bulk string not terminated by CRLF");
            }
            addArg(parsedArgs++, cr + 2 - start, (int) length);
            pos = (int) dataEnd + 2;
        }
        resumeOffset = 0;
        return pos - start;
    }

    private static void requireLf(ByteBuf in, int cr) throws ProtocolException {
        if (in.getByte(cr + 1) != '\n') {
            throw new ProtocolException("Protocol error: CR not followed by LF");
        }
    }

    private void addArg(int i, int offset, int length) {
        if (2 * i + 2 > args.length) {
            args = Arrays.copyOf(args, args.length * 2);
        }
        args[2 * i] = offset;
        args[2 * i + 1] = length;
    }

    /** An inline command at {@code start}: the command, or {@code null} having consumed a blank line or nothing. */
    private Command inline(ByteBuf in, int start) throws ProtocolException {
        int end = in.writerIndex();
        int scanEnd = (int) Math.min(end, (long) start + limits.maxInlineBytes() + 2);
        int lf = in.indexOf(start, scanEnd, (byte) '\n');
        if (lf < 0) {
            if (end - start > limits.maxInlineBytes() + 1) { // the CR of a line of exactly the limit may come without its LF
                throw new ProtocolException("Protocol error: too big inline request");
            }
            return null;
        }
        int lineEnd = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        byte[] line = new byte[lineEnd - start];
        in.getBytes(start, line);
        List<byte[]> words = splitArgs(line);
        if (words == null) {
            throw new ProtocolException("Protocol error: unbalanced quotes in request");
        }
        if (words.size() > limits.maxElements()) {
            throw new ProtocolException("Protocol error: invalid multibulk length");
        }
        in.skipBytes(lf + 1 - start);
        if (words.isEmpty()) {
            return null;
        }
        ByteBuf frame = in.alloc().buffer(line.length + 16 * words.size());
        frame.writeByte('*').writeBytes(Integer.toString(words.size()).getBytes(StandardCharsets.US_ASCII)).writeShort(0x0d0a);
        for (int i = 0; i < words.size(); i++) {
            byte[] word = words.get(i);
            frame.writeByte('$').writeBytes(Integer.toString(word.length).getBytes(StandardCharsets.US_ASCII)).writeShort(0x0d0a);
            addArg(i, frame.writerIndex(), word.length);
            frame.writeBytes(word).writeShort(0x0d0a);
        }
        return classify(frame, words.size());
    }

    /** Redis's sdssplitargs: words, "double quotes" with escapes, 'single quotes'; {@code null} when unbalanced. */
    static List<byte[]> splitArgs(byte[] line) {
        List<byte[]> words = new ArrayList<>();
        int p = 0;
        int n = line.length;
        while (true) {
            while (p < n && isSpace(line[p])) {
                p++;
            }
            if (p >= n || line[p] == 0) {
                return words;
            }
            java.io.ByteArrayOutputStream word = new java.io.ByteArrayOutputStream();
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            while (!done) {
                int c = p < n ? line[p] : 0;
                int next = p + 1 < n ? line[p + 1] : 0;
                if (inDouble) {
                    if (c == '\\' && next == 'x' && p + 3 < n && hex(line[p + 2]) >= 0 && hex(line[p + 3]) >= 0) {
                        word.write(hex(line[p + 2]) * 16 + hex(line[p + 3]));
                        p += 3;
                    } else if (c == '\\' && next != 0) {
                        p++;
                        word.write(switch (next) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> next;
                        });
                    } else if (c == '"') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null; // closing quote must be followed by a space or nothing
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        word.write(c);
                    }
                } else if (inSingle) {
                    if (c == '\\' && next == '\'') {
                        p++;
                        word.write('\'');
                    } else if (c == '\'') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        word.write(c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDouble = true;
                        case '\'' -> inSingle = true;
                        default -> word.write(c);
                    }
                }
                if (p < n && line[p] != 0) {
                    p++;
                }
            }
            words.add(word.toByteArray());
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
    }

    private static int hex(byte b) {
        return Character.digit(b, 16);
    }

    /** Decides what the request is, inside or outside a transaction. Takes ownership of {@code frame}. */
    private Command classify(ByteBuf frame, int count) {
        Command command = command(frame, count);
        String name = command.detail() instanceof CommandInfo info ? info.name() : "";
        if (transaction == null) {
            return switch (name) {
                case "exec", "discard" -> refuse(command, command.name() + " without MULTI");
                default -> command;
            };
        }
        switch (name) {
            case "multi":
                return refuse(command, "MULTI calls can not be nested");
            case "watch":
                return refuse(command, "WATCH inside MULTI is not allowed");
            case "exec":
                return exec(command);
            case "discard", "quit", "reset":
                return command; // executed at once, as Redis does
            default:
                break;
        }
        // PING and ECHO are queued like any command: the backend answers them inside the EXEC reply
        boolean forwardable = command.kind() == CommandKind.READ || command.kind() == CommandKind.WRITE
                || command.kind() == CommandKind.CONDITIONAL_WRITE || name.equals("ping") || name.equals("echo");
        if (!forwardable) {
            transaction.abort(); // as Redis: a command refused while queueing fails the EXEC
            return command.kind() == CommandKind.UNSUPPORTED ? command
                    : refuse(command, command.name() + " inside MULTI is not supported by metacluster");
        }
        return Command.of(command.frame(), command.name(), CommandKind.ADMIN, null, new Transaction.Queued(command));
    }

    /** EXEC: the transaction as one command to forward, or the local answer for an empty or aborted one. */
    private Command exec(Command command) {
        Transaction ending = transaction;
        if (ending.aborted()) {
            endTransaction();
            return refuse(command, Transaction.EXECABORT);
        }
        if (ending.isEmpty()) {
            return command; // answered "*0" by AdminCommands, which ends the transaction
        }
        transaction = null;
        ByteBufAllocator alloc = command.frame().alloc();
        CommandInfo info = (CommandInfo) command.detail();
        command.release();
        return ending.exec(alloc, info);
    }

    /** {@code command} answered with an error instead; its frame moves to the refusal. */
    private static Command refuse(Command command, String reason) {
        return Command.unsupported(command.frame(), command.name(), reason, command.detail());
    }

    void beginTransaction() {
        transaction = new Transaction(limits);
    }

    /** DISCARD, RESET, an empty EXEC or an aborted one: the queued commands are dropped. */
    void endTransaction() {
        if (transaction != null) {
            transaction.discard();
            transaction = null;
        }
    }

    /**
     * Queues a command of the transaction (from {@link AdminCommands}, which answers QUEUED),
     * taking over one reference. Returns the error to answer instead, or {@code null}.
     */
    String queue(Command command) {
        if (transaction == null) { // cannot happen: queued commands are only made inside MULTI
            command.release();
            return "no transaction to queue " + command.name() + " in";
        }
        return transaction.add(command);
    }

    @Override
    public void closed() {
        endTransaction();
    }

    /** What the request is, as the command table says. Takes ownership of {@code frame}. */
    private Command command(ByteBuf frame, int count) {
        try {
            CommandInfo info = table.lookup(frame, frame.readerIndex() + args[0], args[1]);
            if (info == null) {
                if (unknown == RedisOptions.Unknown.REJECT) {
                    return Command.unsupported(frame, "UNKNOWN", unknownCommand(frame, count), null);
                }
                // a module's command, forwarded as configured; its first argument taken as the key
                int[] key = count > 1 ? new int[]{args[2], args[3]} : null;
                return Command.of(frame, arg(frame, 0).toUpperCase(java.util.Locale.ROOT),
                        unknown == RedisOptions.Unknown.READ ? CommandKind.READ : CommandKind.WRITE, key, null);
            }
            if (info.isContainer() && count >= 2) {
                CommandInfo sub = info.subcommands().lookup(frame, frame.readerIndex() + args[2], args[3]);
                if (sub == null) {
                    return Command.unsupported(frame, info.displayName(), "unknown subcommand '" + truncate(arg(frame, 1), 128)
                            + "'. Try " + info.displayName() + " HELP.", info);
                }
                info = sub;
            }
            if (!info.arityAccepts(count)) {
                return Command.unsupported(frame, info.displayName(), arityError(info), info);
            }
            if (info.kind() == CommandKind.UNSUPPORTED) {
                return Command.unsupported(frame, info.displayName(), info.note().replace("{}", info.displayName()), info);
            }
            if (info.kind() == CommandKind.ADMIN) {
                return Command.of(frame, info.displayName(), CommandKind.ADMIN, null, info);
            }
            if ((info.name().equals("xread") || info.name().equals("xreadgroup")) && blocks(frame, count)) {
                return Command.unsupported(frame, info.displayName(), info.displayName()
                        + " with BLOCK is not supported by metacluster yet (blocking command)", info);
            }
            int keys = keyFinder.find(info, frame, args, count);
            return keys == 1
                    ? Command.of(frame, info.displayName(), info.kind(), keyFinder.offset(0), keyFinder.length(0), info, 0)
                    : Command.of(frame, info.displayName(), info.kind(), keyFinder.ranges(), info);
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    /** XREAD/XREADGROUP options before STREAMS, parsed as Redis does: is BLOCK among them? */
    private boolean blocks(ByteBuf frame, int count) {
        for (int i = 1; i < count; ) {
            if (KeyFinder.argEquals(frame, args, i, "STREAMS")) {
                return false;
            }
            if (KeyFinder.argEquals(frame, args, i, "BLOCK")) {
                return true;
            }
            i += KeyFinder.argEquals(frame, args, i, "COUNT") ? 2 : KeyFinder.argEquals(frame, args, i, "GROUP") ? 3 : 1;
        }
        return false;
    }

    static String arityError(CommandInfo info) {
        return "wrong number of arguments for '" + info.name() + "' command";
    }

    /** Redis 7.0's wording, including its 128-byte cut of the name and of the quoted arguments. */
    private String unknownCommand(ByteBuf frame, int count) {
        StringBuilder shown = new StringBuilder();
        for (int i = 1; i < count && shown.length() < 128; i++) {
            int room = 128 - shown.length();
            shown.append('\'').append(truncate(arg(frame, i), room)).append("' ");
        }
        return "unknown command '" + truncate(arg(frame, 0), 128) + "', with args beginning with: " + shown;
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private String arg(ByteBuf frame, int i) {
        return frame.toString(frame.readerIndex() + args[2 * i], args[2 * i + 1], StandardCharsets.UTF_8);
    }

    @Override
    public ByteBuf answer(Command command, ClientContext context) {
        return AdminCommands.answer(this, command, context);
    }

    String clientName() {
        return clientName;
    }

    void clientName(String name) {
        this.clientName = name;
    }

    long ageSeconds() {
        return (System.nanoTime() - createdNanos) / 1_000_000_000L;
    }

    @Override
    public ByteBuf error(ByteBufAllocator alloc, Command command, String message) {
        String text = message.replace('\r', ' ').replace('\n', ' ');
        int space = text.indexOf(' ');
        String code = space < 0 ? text : text.substring(0, space);
        byte[] bytes = (ERROR_CODES.contains(code) ? "-" + text + "\r\n" : "-ERR " + text + "\r\n").getBytes(StandardCharsets.UTF_8);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    /** What a subscribed connection may send, as Redis 7.0 allows it (RESP2): the rest gets Redis's own error. */
    @Override
    public String whilePinned(Command command) {
        String name = command.detail() instanceof CommandInfo info ? info.name() : "";
        return switch (name) {
            case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "reset" ->
                    FORWARD;
            case "quit", "" -> AS_USUAL; // QUIT, and an unknown command's own error first, as Redis checks that first
            default -> "Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET"
                    + " are allowed in this context";
        };
    }

    private static final byte[] RESET_REPLY = "+RESET\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_SUBSCRIPTION_LEFT = "\r\n:0\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * RESET's reply, or an unsubscribe reply ({@code *3}, kind {@code unsubscribe},
     * {@code punsubscribe} or {@code sunsubscribe}, then the channel) that counts no subscription left.
     */
    @Override
    public boolean endsPinning(ByteBuf message) {
        if (startsWith(message, 0, RESET_REPLY) && message.readableBytes() == RESET_REPLY.length) {
            return true;
        }
        int length = message.readableBytes();
        if (length < 4 + NO_SUBSCRIPTION_LEFT.length || !startsWith(message, length - NO_SUBSCRIPTION_LEFT.length, NO_SUBSCRIPTION_LEFT)
                || !startsWith(message, 0, "*3\r\n$".getBytes(StandardCharsets.US_ASCII))) {
            return false;
        }
        int at = message.readerIndex() + 5;
        int cr = message.indexOf(at, message.writerIndex(), (byte) '\r');
        if (cr < 0 || cr + 2 >= message.writerIndex()) {
            return false;
        }
        String kind = message.toString(cr + 2, Math.min(12, message.writerIndex() - cr - 2), StandardCharsets.US_ASCII);
        return kind.startsWith("unsubscribe\r") || kind.startsWith("punsubscribe") || kind.startsWith("sunsubscribe");
    }

    private static boolean startsWith(ByteBuf buf, int offset, byte[] prefix) {
        if (buf.readableBytes() < offset + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(buf.readerIndex() + offset + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * PUBLISH is answered by the read cluster, where this proxy's subscribers are, so the
     * client's receiver count is theirs; the same message then goes to the other clusters.
     */
    @Override
    public Command propagation(Command command, ByteBuf reply, ByteBufAllocator alloc) {
        if (!(command.detail() instanceof CommandInfo info) || !(info.name().equals("publish") || info.name().equals("spublish"))) {
            return null;
        }
        int[] keys = new int[2 * command.keyCount()];
        for (int i = 0; i < command.keyCount(); i++) {
            keys[2 * i] = command.keyOffset(i);
            keys[2 * i + 1] = command.keyLength(i);
        }
        return Command.of(command.frame().retainedSlice(), command.name(), CommandKind.WRITE, keys, info);
    }

    /** The commands a sharded cluster can serve key by key: the join adds counts (DEL...), keeps key order (MGET), or says OK (MSET). */
    private static final Set<String> SPLIT_COUNTS = Set.of("exists", "del", "unlink", "touch");

    /** MGET, MSET and the key-counting EXISTS, DEL, UNLINK, TOUCH, for some of their keys. */
    @Override
    public Command part(Command command, int[] keys, int count) {
        if (!(command.detail() instanceof CommandInfo info)
                || !(info.name().equals("mget") || info.name().equals("mset") || SPLIT_COUNTS.contains(info.name()))) {
            return null;
        }
        boolean pairs = info.name().equals("mset");
        ByteBuf whole = command.frame();
        ByteBuf frame = whole.alloc().buffer(32 + 16 * count);
        writeHeader(frame, '*', (pairs ? 2 : 1) * count + 1);
        writeHeader(frame, '$', info.name().length());
        frame.writeCharSequence(info.name(), StandardCharsets.US_ASCII);
        frame.writeShort(0x0d0a);
        int[] ranges = new int[2 * count];
        for (int i = 0; i < count; i++) {
            int length = command.keyLength(keys[i]);
            writeHeader(frame, '$', length);
            ranges[2 * i] = frame.writerIndex();
            ranges[2 * i + 1] = length;
            frame.writeBytes(whole, whole.readerIndex() + command.keyOffset(keys[i]), length).writeShort(0x0d0a);
            if (pairs) {
                // the key's value is the next bulk string of the frame: copy it whole, header included
                int from = whole.readerIndex() + command.keyOffset(keys[i]) + length + 2;
                try {
                    frame.writeBytes(whole, from, RespSplitter.lengthOf(whole, from));
                } catch (ProtocolException e) {
                    throw new IllegalStateException("a decoded MSET has a value after each key", e);
                }
            }
        }
        return Command.of(frame, command.name(), command.kind(), ranges, info);
    }

    private static void writeHeader(ByteBuf out, char type, int n) {
        out.writeByte(type).writeCharSequence(Integer.toString(n), StandardCharsets.US_ASCII);
        out.writeShort(0x0d0a);
    }

    /** MGET: the parts' values put back in the order of the keys; EXISTS, DEL...: the parts' counts added; MSET: OK. */
    @Override
    public ByteBuf join(Command command, ByteBuf[] replies, int[][] keysOfParts, ByteBufAllocator alloc) {
        try {
            String name = ((CommandInfo) command.detail()).name();
            if (name.equals("mset")) {
                return replies[0].retain();
            }
            if (SPLIT_COUNTS.contains(name)) {
                long sum = 0;
                for (ByteBuf reply : replies) {
                    sum += RespSplitter.parseDecimal(reply, reply.readerIndex() + 1, reply.writerIndex() - 2);
                }
                ByteBuf out = alloc.buffer(24);
                out.writeByte(':').writeCharSequence(Long.toString(sum), StandardCharsets.US_ASCII);
                return out.writeShort(0x0d0a);
            }
            ByteBuf[] values = new ByteBuf[command.keyCount()];
            for (int p = 0; p < replies.length; p++) {
                ByteBuf reply = replies[p];
                // past the "*N\r\n" header, then one element per key of the part
                int at = reply.indexOf(reply.readerIndex(), reply.writerIndex(), (byte) '\n') + 1;
                for (int key : keysOfParts[p]) {
                    int length = RespSplitter.lengthOf(reply, at);
                    values[key] = reply.retainedSlice(at, length);
                    at += length;
                }
            }
            CompositeByteBuf joined = alloc.compositeBuffer(values.length + 1);
            ByteBuf header = alloc.buffer(16);
            writeHeader(header, '*', values.length);
            joined.addComponent(true, header);
            for (ByteBuf value : values) {
                joined.addComponent(true, value);
            }
            return joined;
        } catch (ProtocolException e) {
            throw new IllegalStateException("a reply framed once cannot be reframed", e);
        } finally {
            for (ByteBuf reply : replies) {
                reply.release();
            }
        }
    }

    /** A forwarded transaction's reply is shown from its EXEC reply on: the proxy answered MULTI and QUEUED already. */
    @Override
    public ByteBuf present(Command command, ByteBuf reply) {
        if (command.detail() instanceof Transaction.Exec exec) {
            reply.skipBytes(exec.execReplyOffset(reply));
        }
        return reply;
    }

    /** A nil reply ({@code $-1}, {@code *-1}, RESP3 {@code _}): what GET and friends answer for a missing key. */
    @Override
    public boolean isMiss(Command command, ByteBuf reply) {
        int length = reply.readableBytes();
        int at = reply.readerIndex();
        byte type = length > 0 ? reply.getByte(at) : 0;
        return (length == 5 && (type == '$' || type == '*') && reply.getByte(at + 1) == '-' && reply.getByte(at + 2) == '1')
                || (length == 3 && type == '_');
    }
}
