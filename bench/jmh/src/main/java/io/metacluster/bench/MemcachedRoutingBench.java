package io.metacluster.bench;

import io.metacluster.testing.MemcachedServer;
import io.metacluster.testing.ServerProcess;

/** {@link RoutingBench} for memcached: text {@code get} / {@code set} through the proxy to memcached. */
public class MemcachedRoutingBench extends RoutingBench {

    @Override
    CodecBench wire() {
        return new MemcachedCodecBench();
    }

    @Override
    ServerProcess startServer() {
        return MemcachedServer.start();
    }
}
