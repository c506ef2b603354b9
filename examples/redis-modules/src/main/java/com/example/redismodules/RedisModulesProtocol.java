package com.example.redismodules;

import io.metacluster.redis.RedisOptions;
import io.metacluster.redis.RedisProtocol;
import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyVerification;
import org.pf4j.Extension;

/**
 * {@code protocol: redis-modules}: the shipped {@code redis} protocol, with RedisJSON and
 * RedisBloom commands ({@link ModuleCommand#DECLARED}) routed by their kind and keys: a
 * {@code JSON.GET} is a read served by one cluster, a {@code JSON.SET} a write sent to all.
 * Backends, lanes, verification and the flush request are Redis's own: a wrapper delegates
 * every {@link Protocol} method the wrapped protocol overrides.
 */
@Extension
public final class RedisModulesProtocol implements Protocol {
    /** Unknown commands reach this plugin as writes keyed by their first argument; it re-routes them. */
    private static final RedisOptions FORWARD_UNKNOWN = new RedisOptions("write");

    private final RedisProtocol redis = new RedisProtocol();

    @Override
    public String name() {
        return "redis-modules";
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        return new ModuleCommandsCodec(redis.newClientCodec(limits, FORWARD_UNKNOWN));
    }

    @Override
    public byte[] flushRequest() {
        return redis.flushRequest();
    }

    /** Redis's lanes (a backend connection per database and RESP version a client picks), all delegated. */
    @Override
    public int backendLanes() {
        return redis.backendLanes();
    }

    @Override
    public int eagerLanes() {
        return redis.eagerLanes();
    }

    @Override
    public byte[] laneRequests(int lane) {
        return redis.laneRequests(lane);
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return redis.newBackendCodec(settings, lane);
    }

    @Override
    public ReplyVerification verification() {
        return redis.verification();
    }
}
