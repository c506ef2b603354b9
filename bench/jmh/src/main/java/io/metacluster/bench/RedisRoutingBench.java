package io.metacluster.bench;

import io.metacluster.testing.RedisServer;
import io.metacluster.testing.ServerProcess;

/** {@link RoutingBench} for Redis: RESP {@code GET} / {@code SET} through the proxy to redis-server. */
public class RedisRoutingBench extends RoutingBench {

    @Override
    CodecBench wire() {
        return new RedisCodecBench();
    }

    @Override
    ServerProcess startServer() {
        return RedisServer.start();
    }
}
