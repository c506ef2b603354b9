package io.metacluster.redis;

import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.buf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Redis side of resync: identity from INFO server, the SCAN reply, and the RESTORE request. */
class RedisNodeSyncTest {
    private static final RedisNodeSync SYNC = new RedisNodeSync();

    /** What redis-server 7.0 answers to INFO server, shortened, as a bulk string. */
    private static ByteBuf info(String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        return buf("$" + body.length + "\r\n" + text + "\r\n");
    }

    @Test
    void identityIsTheRunIdWithTheUptime() throws ProtocolException {
        ByteBuf reply = info("# Server\r\nredis_version:7.0.15\r\nprocess_id:4242\r\n"
                + "run_id:9f4c2b0a5e0d3c1e7a3d1b2c4e5f60718293a4b5\r\ntcp_port:6379\r\nuptime_in_seconds:377\r\n"
                + "uptime_in_days:0\r\n");
        try {
            assertThat(SYNC.identityReplyLength(reply)).isEqualTo(reply.readableBytes());
            assertThat(SYNC.identity(reply)).isEqualTo(new NodeIdentity("9f4c2b0a5e0d3c1e7a3d1b2c4e5f60718293a4b5", 377));
            assertThat(reply.readerIndex()).isZero();
        } finally {
            reply.release();
        }
    }

    @Test
    void anIncompleteReplyHasNoLengthYet() throws ProtocolException {
        ByteBuf whole = info("# Server\r\nrun_id:abc\r\n");
        ByteBuf part = whole.slice(0, whole.readableBytes() - 3);
        try {
            assertThat(SYNC.identityReplyLength(part)).isEqualTo(-1);
        } finally {
            whole.release();
        }
    }

    @Test
    void aNodeThatDoesNotSayHasNoIdentity() {
        ByteBuf refused = buf("-ERR unknown command 'INFO', with args beginning with: 'server' \r\n");
        ByteBuf noRunId = info("# Server\r\nredis_version:7.0.15\r\n");
        try {
            assertThat(SYNC.identity(refused)).isNull();
            assertThat(SYNC.identity(noRunId)).isNull();
        } finally {
            refused.release();
            noRunId.release();
        }
    }

    @Test
    void theIdentityRequestIsInfoServer() {
        ByteBuf request = SYNC.identityRequest(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        try {
            assertThat(request.toString(StandardCharsets.US_ASCII)).isEqualTo("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n");
        } finally {
            request.release();
        }
    }

    @Test
    void aScanReplyGivesTheCursorAndTheKeys() throws ProtocolException {
        ByteBuf reply = buf("*2\r\n$4\r\n1792\r\n*3\r\n$3\r\nk:1\r\n$0\r\n\r\n$5\r\na\r\nb!\r\n");
        try {
            List<ByteBuf> keys = new ArrayList<>();
            assertThat(RespValues.scanReply(reply, keys)).isEqualTo("1792");
            assertThat(keys).extracting(k -> k.toString(StandardCharsets.UTF_8)).containsExactly("k:1", "", "a\r\nb!");
        } finally {
            reply.release();
        }
    }

    @Test
    void theLastScanReplyHasCursorZero() throws ProtocolException {
        ByteBuf reply = buf("*2\r\n$1\r\n0\r\n*0\r\n");
        try {
            List<ByteBuf> keys = new ArrayList<>();
            assertThat(RespValues.scanReply(reply, keys)).isEqualTo("0");
            assertThat(keys).isEmpty();
        } finally {
            reply.release();
        }
    }

    @Test
    void anErrorInsteadOfAScanReplyIsRefused() {
        ByteBuf reply = buf("-NOPERM this user has no permissions to run the 'scan' command\r\n");
        try {
            assertThatThrownBy(() -> RespValues.scanReply(reply, new ArrayList<>())).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("NOPERM");
        } finally {
            reply.release();
        }
    }

    @Test
    void dumpAndPttlRepliesAreRead() throws ProtocolException {
        ByteBuf dump = buf("$5\r\n\u0000\u0001x\r\n\r\n");
        ByteBuf nil = buf("$-1\r\n");
        ByteBuf noTtl = buf(":-1\r\n");
        ByteBuf gone = buf(":-2\r\n");
        ByteBuf ttl = buf(":86399512\r\n");
        try {
            assertThat(RespValues.bulk(dump).readableBytes()).isEqualTo(5);
            assertThat(RespValues.bulk(nil)).isNull();
            assertThat(RespValues.integer(noTtl)).isEqualTo(-1);
            assertThat(RespValues.integer(gone)).isEqualTo(-2);
            assertThat(RespValues.integer(ttl)).isEqualTo(86_399_512);
        } finally {
            List.of(dump, nil, noTtl, gone, ttl).forEach(ByteBuf::release);
        }
    }

    @Test
    void restoreKeepsWhatTheTargetHoldsUnlessToldToReplace() {
        ByteBuf key = buf("k 1");
        ByteBuf payload = buf("\u0000\u0003abc\u000b\u0000");
        ByteBuf keep = RedisNodeSync.restore(key, 0, payload, false);
        ByteBuf replace = RedisNodeSync.restore(key, 1500, payload, true);
        try {
            assertThat(keep.toString(StandardCharsets.ISO_8859_1)).isEqualTo(
                    "*4\r\n$7\r\nRESTORE\r\n$3\r\nk 1\r\n$1\r\n0\r\n$7\r\n\u0000\u0003abc\u000b\u0000\r\n");
            assertThat(replace.toString(StandardCharsets.ISO_8859_1)).isEqualTo(
                    "*5\r\n$7\r\nRESTORE\r\n$3\r\nk 1\r\n$4\r\n1500\r\n$7\r\n\u0000\u0003abc\u000b\u0000\r\n$7\r\nREPLACE\r\n");
        } finally {
            List.of(key, payload, keep, replace).forEach(ByteBuf::release);
        }
    }
}
