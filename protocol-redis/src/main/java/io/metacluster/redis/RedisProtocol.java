package io.metacluster.redis;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyVerification;
import org.pf4j.Extension;

/**
 * {@code protocol: redis}: clients speak RESP2 (multibulk or inline), backends are Redis
 * servers reached over shared RESP2 connections. Stateless and shared; the command table is
 * loaded once when this class is first used.
 */
@Extension
public final class RedisProtocol implements Protocol {
    private static final NodeSync NODE_SYNC = new RedisNodeSync();

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        return new RedisClientCodec(limits);
    }

    @Override
    public Class<?> optionsType() {
        return RedisOptions.class;
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits, Object options) {
        return new RedisClientCodec(limits, CommandTable.standard(), ((RedisOptions) options).unknown());
    }

    /** Redis uses a single lane (0): every backend connection speaks RESP2. */
    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return new RedisBackendCodec(settings);
    }

    /** Comparison by the command table's verify column; repairs with DEL, DUMP/PTTL and RESTORE ... REPLACE. */
    @Override
    public ReplyVerification verification() {
        return RedisVerification.standard();
    }

    /** Identity from INFO server; copy by SCAN, DUMP/PTTL and RESTORE. */
    @Override
    public NodeSync nodeSync() {
        return NODE_SYNC;
    }

    /** FLUSHDB, not FLUSHALL: a backend connection works in the database the cluster config selects. */
    @Override
    public byte[] flushRequest() {
        return "*1\r\n$7\r\nFLUSHDB\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
