package io.metacluster.memcached;

import io.metacluster.spi.KeyCopy;
import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.NodeLink;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * memcached node identity and copy. Identity: {@code pid} and start time ({@code time - uptime})
 * of {@code stats}, since a pid alone repeats (in a container it is always 1). Copy:
 * {@code lru_crawler metadump hash} lists the source's keys on one connection; per batch,
 * {@code mg key v f t} on a second one reads value, flags and remaining TTL, and
 * {@code ms key size F<flags> T<ttl> M<mode>} writes them to the target, mode {@code E} (add:
 * a key the target holds is kept) or {@code S} (set).
 */
final class MemcachedNodeSync implements NodeSync {
    /** Keys per batch: their mg and ms requests are pipelined. */
    static final int BATCH = 100;
    /** memcached takes a TTL above 30 days as an absolute Unix time. */
    private static final long RELATIVE_TTL_LIMIT = 30L * 24 * 3600;
    private static final int MAX_STATS = 64 * 1024;

    @Override
    public ByteBuf identityRequest(ByteBufAllocator alloc) {
        return ByteBufUtil.writeAscii(alloc, "stats\r\n");
    }

    /** {@code STAT} lines up to {@code END}, or one error line. */
    @Override
    public int identityReplyLength(ByteBuf in) throws ProtocolException {
        int from = in.readerIndex();
        int at = from;
        while (true) {
            int lf = in.indexOf(at, in.writerIndex(), (byte) '\n');
            if (lf < 0) {
                if (in.writerIndex() - from > MAX_STATS) {
                    throw new ProtocolException("memcached stats reply too long");
                }
                return -1;
            }
            boolean stat = lf - at >= 5 && in.toString(at, 5, StandardCharsets.US_ASCII).equals("STAT ");
            at = lf + 1;
            if (!stat) {
                return at - from;
            }
        }
    }

    @Override
    public NodeIdentity identity(ByteBuf reply) {
        String pid = null;
        long uptime = -1;
        long time = -1;
        for (String line : reply.toString(StandardCharsets.US_ASCII).split("\r?\n")) {
            String[] words = line.split(" ");
            if (words.length == 3 && words[0].equals("STAT")) {
                switch (words[1]) {
                    case "pid" -> pid = words[2];
                    case "uptime" -> uptime = Long.parseLong(words[2]);
                    case "time" -> time = Long.parseLong(words[2]);
                    default -> { }
                }
            }
        }
        if (pid == null || uptime < 0 || time < 0) {
            return null;
        }
        return new NodeIdentity("pid " + pid + " started " + (time - uptime), uptime);
    }

    @Override
    public void copy(KeyCopy copy) throws IOException, InterruptedException {
        NodeLink values = copy.secondSource();
        NodeLink target = copy.target();
        walk(copy.source(), keys -> {
            List<byte[]> batch = new ArrayList<>(keys.size());
            for (ByteBuf key : keys) {
                batch.add(ByteBufUtil.getBytes(key));
            }
            copyBatch(copy, batch, values, target);
            copy.copied(batch.size());
        });
    }

    /** {@code lru_crawler metadump hash} (see {@link #startMetadump}), a hundred keys per batch. */
    @Override
    public void walk(NodeLink keys, KeyBatches batches) throws IOException, InterruptedException {
        String first = startMetadump(keys);
        boolean more = true;
        while (more) {
            List<ByteBuf> batch = new ArrayList<>(BATCH);
            while (batch.size() < BATCH) {
                String text = first != null ? first : line(keys);
                first = null;
                if (text.equals("END")) {
                    more = false;
                    break;
                }
                batch.add(Unpooled.wrappedBuffer(metadumpKey(text)));
            }
            if (!batch.isEmpty()) {
                batches.keys(batch);
            }
        }
    }

    /**
     * Starts the walk over the keys, returning its first line: {@code metadump hash} walks the
     * hash table, so a key that is there all along is listed even if reads move it between LRU
     * queues meanwhile (a walk over the LRUs, {@code metadump all}, can miss it); a memcached
     * older than 1.6.10 does not know it and is walked by its LRUs. Alone on its connection:
     * memcached refuses a metadump pipelined behind other requests.
     */
    private static String startMetadump(NodeLink keys) throws IOException {
        keys.send(Unpooled.copiedBuffer("lru_crawler metadump hash\r\n", StandardCharsets.US_ASCII));
        String first = line(keys);
        if (first.startsWith("key=") || first.equals("END")) {
            return first;
        }
        keys.send(Unpooled.copiedBuffer("lru_crawler metadump all\r\n", StandardCharsets.US_ASCII));
        return line(keys);
    }

    private static String line(NodeLink link) throws IOException {
        ByteBuf line = link.read(MemcachedNodeSync::lineLength);
        try {
            return line.toString(StandardCharsets.US_ASCII).trim();
        } finally {
            line.release();
        }
    }

    private static void copyBatch(KeyCopy copy, List<byte[]> batch, NodeLink values, NodeLink target) throws IOException {
        for (byte[] key : batch) {
            values.send(request("mg ", key, " v f t\r\n"));
        }
        int writes = 0;
        for (byte[] key : batch) {
            ByteBuf reply = values.read(MemcachedNodeSync::valueLength);
            ByteBuf wanted = Unpooled.wrappedBuffer(key);
            try {
                ByteBuf write = set(key, reply, copy.keepExisting(), System.currentTimeMillis() / 1000);
                if (write != null && copy.wants(wanted)) {
                    target.send(write);
                    writes++;
                } else if (write != null) {
                    write.release();
                }
            } finally {
                reply.release();
            }
        }
        for (int i = 0; i < writes; i++) {
            ByteBuf reply = target.read(MemcachedNodeSync::lineLength);
            try {
                String text = reply.toString(StandardCharsets.US_ASCII).trim();
                if (!text.equals("HD") && !text.equals("NS")) {
                    throw new IOException("ms refused: " + text);
                }
            } finally {
                reply.release();
            }
        }
    }

    /**
     * The key of a metadump line ({@code key=<url-encoded> exp=... la=... ...}).
     *
     * @throws IOException for any other line: memcached's error (a metadump already running: {@code BUSY})
     */
    static byte[] metadumpKey(String line) throws IOException {
        if (!line.startsWith("key=")) {
            throw new IOException("lru_crawler metadump answered: " + line);
        }
        int end = line.indexOf(' ');
        String encoded = line.substring(4, end < 0 ? line.length() : end);
        ByteArrayOutputStream key = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length()) {
                key.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                key.write(c);
            }
        }
        return key.toByteArray();
    }

    /**
     * The {@code ms} that writes what {@code mg key v f t} answered ({@code VA size f<flags> t<ttl>}
     * and the data), or {@code null} when there is nothing to copy (the key is gone: {@code EN};
     * or it expires within the second).
     */
    static ByteBuf set(byte[] key, ByteBuf mgReply, boolean keepExisting, long nowSeconds) throws IOException {
        int lf = mgReply.indexOf(mgReply.readerIndex(), mgReply.writerIndex(), (byte) '\n');
        String head = mgReply.toString(mgReply.readerIndex(), lf - mgReply.readerIndex(), StandardCharsets.US_ASCII).trim();
        if (head.equals("EN")) {
            return null;
        }
        String[] words = head.split(" ");
        if (!words[0].equals("VA") || words.length < 2) {
            throw new IOException("mg answered: " + head);
        }
        int size;
        String flags = "0";
        long ttl = -1;
        try {
            size = Integer.parseInt(words[1]);
            for (int i = 2; i < words.length; i++) {
                if (words[i].startsWith("f")) {
                    flags = Long.toString(Long.parseLong(words[i].substring(1)));
                } else if (words[i].startsWith("t")) {
                    ttl = Long.parseLong(words[i].substring(1));
                }
            }
        } catch (NumberFormatException e) {
            throw new IOException("mg answered: " + head);
        }
        if (ttl == 0) {
            return null;
        }
        long expiry = ttl < 0 ? 0 : ttl <= RELATIVE_TTL_LIMIT ? ttl : nowSeconds + ttl;
        ByteBuf out = request("ms ", key, " " + size + " F" + flags + " T" + expiry + " M" + (keepExisting ? "E" : "S") + "\r\n");
        out.writeBytes(mgReply, lf + 1, size);
        out.writeBytes(new byte[] {'\r', '\n'});
        return out;
    }

    private static ByteBuf request(String verb, byte[] key, String rest) {
        ByteBuf out = Unpooled.buffer(verb.length() + key.length + rest.length() + 64);
        out.writeCharSequence(verb, StandardCharsets.US_ASCII);
        out.writeBytes(key);
        out.writeCharSequence(rest, StandardCharsets.US_ASCII);
        return out;
    }

    /** One line, ending with LF (metadump's end with LF alone, replies with CRLF). */
    static int lineLength(ByteBuf in) throws ProtocolException {
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > MemcachedBackendCodec.MAX_LINE) {
                throw new ProtocolException("memcached reply line too long");
            }
            return -1;
        }
        return lf + 1 - in.readerIndex();
    }

    /** {@code VA size ...} and the data block, or one line. */
    static int valueLength(ByteBuf in) throws ProtocolException {
        int line = lineLength(in);
        if (line < 0 || in.getByte(in.readerIndex()) != 'V' || in.getByte(in.readerIndex() + 1) != 'A') {
            return line;
        }
        String[] words = in.toString(in.readerIndex(), line, StandardCharsets.US_ASCII).trim().split(" ");
        long total;
        try {
            total = line + Long.parseLong(words[1]) + 2;
        } catch (RuntimeException e) {
            throw new ProtocolException("memcached sent a bad value line");
        }
        if (total > Integer.MAX_VALUE) {
            throw new ProtocolException("memcached value too large");
        }
        return in.readableBytes() >= total ? (int) total : -1;
    }

    /**
     * Per key, {@code mg <key> c} on the target (its cas unique) and {@code mg <key>} on the
     * source, pipelined; where the source has none, {@code md <key> C<cas>} deletes the target's
     * item only if nothing was written to it since.
     */
    @Override
    public int deleteAbsent(NodeLink source, NodeLink target, List<ByteBuf> keys, Predicate<ByteBuf> mayDelete)
            throws IOException {
        for (ByteBuf key : keys) {
            byte[] bytes = ByteBufUtil.getBytes(key);
            target.send(request("mg ", bytes, " c\r\n"));
            source.send(request("mg ", bytes, "\r\n"));
        }
        int sent = 0;
        for (ByteBuf key : keys) {
            String held = line(target);
            String there = line(source);
            if (held.startsWith("HD c") && there.equals("EN") && mayDelete.test(key)) {
                target.send(request("md ", ByteBufUtil.getBytes(key), " C" + held.substring(4).split(" ")[0] + "\r\n"));
                sent++;
            } else if (!held.startsWith("HD") && !held.equals("EN") || !there.startsWith("HD") && !there.equals("EN")) {
                throw new IOException("mg answered: " + held + " / " + there);
            }
        }
        int deleted = 0;
        for (int i = 0; i < sent; i++) {
            deleted += line(target).equals("HD") ? 1 : 0;
        }
        return deleted;
    }
}
