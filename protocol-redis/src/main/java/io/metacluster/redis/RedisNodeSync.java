package io.metacluster.redis;

import io.metacluster.spi.KeyCopy;
import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.NodeLink;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Redis node identity and copy. Identity: {@code run_id} and {@code uptime_in_seconds} of
 * {@code INFO server} (a new {@code run_id} at every start). Copy: {@code SCAN} the source in
 * batches; per key {@code DUMP} and {@code PTTL}, then {@code RESTORE key ttl payload}, with
 * {@code REPLACE} unless the target's own keys are to be kept (then a key it holds answers
 * {@code BUSYKEY}, which is the point). The payload is Redis's own serialisation, so every type,
 * encoding and value is copied as it is; source and target need compatible versions.
 */
final class RedisNodeSync implements NodeSync {
    /** Keys per SCAN of a copy: a batch's DUMPs and RESTOREs, values and all, are pipelined. */
    static final int BATCH = 100;
    /**
     * Keys per SCAN of a {@link #walk}: a scrub's walk waits for each SCAN before it can hand out
     * more keys, so a hundred at a time left its comparisons idle between batches.
     */
    static final int WALK_BATCH = 1000;

    @Override
    public ByteBuf identityRequest(ByteBufAllocator alloc) {
        return RespWriter.command(alloc, "INFO", "server");
    }

    @Override
    public int identityReplyLength(ByteBuf in) throws ProtocolException {
        return RespSplitter.lengthOf(in, in.readerIndex());
    }

    @Override
    public NodeIdentity identity(ByteBuf reply) {
        if (Replies.isError(null, reply)) {
            return null;
        }
        String info = reply.toString(StandardCharsets.UTF_8);
        String runId = field(info, "run_id");
        String uptime = field(info, "uptime_in_seconds");
        if (runId == null) {
            return null;
        }
        return new NodeIdentity(runId, uptime == null ? -1 : Long.parseLong(uptime));
    }

    /** The value of {@code name:value} on its own line of an INFO text, or {@code null}. */
    private static String field(String info, String name) {
        int at = info.indexOf("\n" + name + ":");
        if (at < 0) {
            return null;
        }
        int from = at + name.length() + 2;
        int end = from;
        while (end < info.length() && info.charAt(end) != '\r' && info.charAt(end) != '\n') {
            end++;
        }
        return info.substring(from, end);
    }

    @Override
    public void copy(KeyCopy copy) throws IOException, InterruptedException {
        NodeLink source = copy.source();
        NodeLink target = copy.target();
        RespSplitter fromSource = new RespSplitter();
        RespSplitter fromTarget = new RespSplitter();
        // SCAN is one request and reply at a time: the batch's DUMPs share the walk's link
        walk(source, BATCH, keys -> {
            try {
                copyBatch(copy, keys, source, target, fromSource, fromTarget);
            } catch (ProtocolException e) {
                throw new IOException("unexpected reply: " + e.getMessage(), e);
            }
            copy.copied(keys.size());
        });
    }

    /** {@code SCAN cursor COUNT 1000} until the cursor comes back to 0. */
    @Override
    public void walk(NodeLink keys, KeyBatches batches) throws IOException, InterruptedException {
        walk(keys, WALK_BATCH, batches);
    }

    private static void walk(NodeLink keys, int count, KeyBatches batches) throws IOException, InterruptedException {
        RespSplitter framer = new RespSplitter();
        String cursor = "0";
        do {
            keys.send(RespWriter.command(UnpooledByteBufAllocator.DEFAULT, "SCAN", cursor, "COUNT", Integer.toString(count)));
            ByteBuf scan = keys.read(framer::frameLength);
            try {
                List<ByteBuf> batch = new ArrayList<>(count);
                cursor = RespValues.scanReply(scan, batch);
                if (!batch.isEmpty()) {
                    batches.keys(batch);
                }
            } catch (ProtocolException e) {
                throw new IOException("unexpected reply: " + e.getMessage(), e);
            } finally {
                scan.release();
            }
        } while (!cursor.equals("0"));
    }

    private static void copyBatch(KeyCopy copy, List<ByteBuf> keys, NodeLink source, NodeLink target,
                                  RespSplitter fromSource, RespSplitter fromTarget) throws IOException, ProtocolException {
        for (ByteBuf key : keys) {
            source.send(RespValues.command("DUMP", key));
            source.send(RespValues.command("PTTL", key));
        }
        int restores = 0;
        for (ByteBuf key : keys) {
            ByteBuf payload = source.read(fromSource::frameLength);
            ByteBuf ttl = source.read(fromSource::frameLength);
            try {
                long pttl = RespValues.integer(ttl);
                ByteBuf value = RespValues.bulk(payload);
                // gone since the SCAN (-2), or deleted between the two requests
                if (value != null && pttl != -2 && copy.wants(key)) {
                    target.send(restore(key, Math.max(0, pttl), value, !copy.keepExisting()));
                    restores++;
                }
            } finally {
                payload.release();
                ttl.release();
            }
        }
        for (int i = 0; i < restores; i++) {
            ByteBuf reply = target.read(fromTarget::frameLength);
            try {
                if (Replies.isError(null, reply) && !RespValues.startsWith(reply, "-BUSYKEY")) {
                    throw new IOException("RESTORE refused: " + reply.toString(StandardCharsets.UTF_8).trim());
                }
            } finally {
                reply.release();
            }
        }
    }

    /** {@code RESTORE key ttl payload [REPLACE]}: {@code ttl} in milliseconds, 0 for none. */
    static ByteBuf restore(ByteBuf key, long ttl, ByteBuf payload, boolean replace) {
        ByteBuf out = Unpooled.buffer(payload.readableBytes() + key.readableBytes() + 64);
        RespWriter.arrayHeader(out, replace ? 5 : 4);
        RespWriter.bulk(out, "RESTORE");
        RespWriter.bulk(out, key);
        RespWriter.bulk(out, Long.toString(ttl));
        RespWriter.bulk(out, payload);
        if (replace) {
            RespWriter.bulk(out, "REPLACE");
        }
        return out;
    }

    /**
     * Per key, {@code DUMP} on the target and {@code EXISTS} on the source, pipelined; where the
     * source has none, the conditional script of {@link RedisVerification} deletes the target's
     * key only if its DUMP is still the one read.
     */
    @Override
    public int deleteAbsent(NodeLink source, NodeLink target, List<ByteBuf> keys, Predicate<ByteBuf> mayDelete)
            throws IOException {
        RespSplitter fromSource = new RespSplitter();
        RespSplitter fromTarget = new RespSplitter();
        for (ByteBuf key : keys) {
            target.send(RespValues.command("DUMP", key));
            source.send(RespValues.command("EXISTS", key));
        }
        int sent = 0;
        try {
            for (ByteBuf key : keys) {
                ByteBuf dump = target.read(fromTarget::frameLength);
                ByteBuf exists = null;
                try {
                    exists = source.read(fromSource::frameLength); // may fail: the source went down
                    ByteBuf payload = RespValues.bulk(dump);
                    if (payload != null && RespValues.integer(exists) == 0 && mayDelete.test(key)) {
                        target.send(RedisVerification.deleteIfUnchangedFrame(key, payload));
                        sent++;
                    }
                } finally {
                    dump.release();
                    if (exists != null) {
                        exists.release();
                    }
                }
            }
            int deleted = 0;
            for (int i = 0; i < sent; i++) {
                ByteBuf reply = target.read(fromTarget::frameLength);
                try {
                    deleted += RespValues.integer(reply) == 1 ? 1 : 0;
                } finally {
                    reply.release();
                }
            }
            return deleted;
        } catch (ProtocolException e) {
            throw new IOException("unexpected reply: " + e.getMessage(), e);
        }
    }
}
