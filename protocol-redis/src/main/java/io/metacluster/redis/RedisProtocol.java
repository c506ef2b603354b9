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
 * {@code protocol: redis}: clients speak RESP2 or RESP3 (multibulk or inline), backends are Redis
 * servers reached over shared connections, one lane per client protocol version and database
 * ({@link Session}). Stateless and shared; the command table is loaded once when this class is
 * first used.
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
        return new RedisClientCodec(limits, CommandTable.standard(), (RedisOptions) options);
    }

    /** A lane per (database, RESP version) a client may choose: see {@link Session}. */
    @Override
    public int backendLanes() {
        return Session.LANES;
    }

    /** Lane 0 (RESP2, the configured database) at start; the others when a client first uses them. */
    @Override
    public int eagerLanes() {
        return 1;
    }

    /** SELECT n and HELLO 3 as a client sends them, when the lane's database or version is not the default's. */
    @Override
    public byte[] laneRequests(int lane) {
        return Session.laneRequests(lane);
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return new RedisBackendCodec(settings, lane);
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

    /**
     * FLUSHDB, not FLUSHALL: a backend connection works in the database the cluster config selects.
     * Decoded as a fresh client's request, so it empties that database (lane 0) only.
     */
    @Override
    public byte[] flushRequest() {
        return "*1\r\n$7\r\nFLUSHDB\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
