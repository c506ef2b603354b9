package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Lua scripts this process has seen ({@code EVAL}, {@code SCRIPT LOAD}), by their SHA1, so
 * that an {@code EVALSHA} never meets a cluster that lacks its script: one that was restarted,
 * flushed or resynchronised (a resync copies keys, not the script cache) would answer
 * {@code NOSCRIPT} while the others ran the script, and the copies would differ. So an
 * {@code EVALSHA} (or {@code EVALSHA_RO}) of a known script is forwarded as {@code EVAL} (or
 * {@code EVAL_RO}) with the script's body: every cluster runs it, and caches it under the same SHA1
 * as Redis does for EVAL. The client sees exactly the reply its EVALSHA gets from a server that has
 * the script. An unknown SHA1 is forwarded as it came (every cluster answers NOSCRIPT alike, or
 * the script was loaded around this proxy). {@code SCRIPT FLUSH} through the proxy forgets every
 * script, so that a later EVALSHA gets NOSCRIPT as from one server.
 *
 * <p>Learned when the request is read, not when it succeeded: a script that does not compile is
 * kept too, and an EVALSHA of its SHA1 then gets the compile error instead of NOSCRIPT. Bounded
 * ({@link #MAX_SCRIPTS}, {@link #MAX_BYTES}), least recently used first out. SHA1 is a function of
 * the body alone, so one cache serves every listener and thread (synchronized; touched only by
 * script commands).
 */
final class ScriptBodies {
    static final int MAX_SCRIPTS = 10_000;
    static final long MAX_BYTES = 64L << 20;
    static final ScriptBodies SHARED = new ScriptBodies();

    private final Map<String, byte[]> bodies = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    /**
     * What {@code command} becomes: an EVALSHA of a known script as EVAL with its body (the
     * command's frame moves to the returned one); the same command otherwise, after learning the
     * body of an EVAL or SCRIPT LOAD, or forgetting every body at SCRIPT FLUSH.
     */
    Command admit(Command command) {
        if (!(command.detail() instanceof CommandInfo info) || command.kind() == io.metacluster.spi.CommandKind.UNSUPPORTED) {
            return command;
        }
        switch (info.name()) {
            case "eval", "eval_ro", "script|load" -> {
                int[] args = MultibulkArgs.of(command.frame());
                learn(bytes(command.frame(), args, info.name().equals("script|load") ? 2 : 1));
                return command;
            }
            case "script|flush" -> {
                clear();
                return command;
            }
            case "evalsha", "evalsha_ro" -> {
                int[] args = MultibulkArgs.of(command.frame());
                byte[] body = body(command.frame().toString(command.frame().readerIndex() + args[2], args[3],
                        StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
                return body == null ? command : asEval(command, info, args, body);
            }
            default -> {
                return command;
            }
        }
    }

    synchronized void learn(byte[] body) {
        String sha = sha1(body);
        if (bodies.put(sha, body) == null) {
            bytes += body.length;
        }
        var eldest = bodies.entrySet().iterator();
        while ((bodies.size() > MAX_SCRIPTS || bytes > MAX_BYTES) && eldest.hasNext()) {
            bytes -= eldest.next().getValue().length;
            eldest.remove();
        }
    }

    synchronized byte[] body(String sha) {
        return bodies.get(sha);
    }

    synchronized void clear() {
        bodies.clear();
        bytes = 0;
    }

    /** {@code EVAL body numkeys ...}: the EVALSHA's own bytes after its SHA1, behind a new head. */
    private static Command asEval(Command command, CommandInfo info, int[] args, byte[] body) {
        ByteBuf frame = command.frame();
        int start = frame.readerIndex();
        int tail = args[2] + args[3] + 2; // after the SHA1 and its CRLF: numkeys, keys, arguments as sent
        ByteBuf head = Unpooled.buffer(32 + body.length);
        RespWriter.arrayHeader(head, args.length / 2);
        RespWriter.bulk(head, info.name().endsWith("_ro") ? "EVAL_RO" : "EVAL");
        RespWriter.bulk(head, body);
        int shift = head.readableBytes() - tail;
        CompositeByteBuf eval = frame.alloc().compositeBuffer(2);
        eval.addComponent(true, head);
        eval.addComponent(true, frame.retainedSlice(start + tail, frame.readableBytes() - tail));
        int[] keys = new int[2 * command.keyCount()];
        for (int i = 0; i < command.keyCount(); i++) {
            keys[2 * i] = command.keyOffset(i) + shift;
            keys[2 * i + 1] = command.keyLength(i);
        }
        Command rewritten = Command.of(eval, command.name(), command.kind(), keys, info, command.lane());
        command.release();
        return rewritten;
    }

    private static byte[] bytes(ByteBuf frame, int[] args, int i) {
        return ByteBufUtil.getBytes(frame, frame.readerIndex() + args[2 * i], args[2 * i + 1]);
    }

    static String sha1(byte[] body) {
        try {
            return ByteBufUtil.hexDump(MessageDigest.getInstance("SHA-1").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }
}
