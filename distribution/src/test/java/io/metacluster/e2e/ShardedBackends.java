package io.metacluster.e2e;

import io.metacluster.testing.ServerProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Three real servers as the shards of one {@code topology: hash-ring} cluster and, where a test
 * asks for it, one more as a single-node cluster beside it, with the daemon in front, healthy; the
 * sharded counterpart of {@link RedisBackends} and {@link MemcachedBackends}. The test writes the
 * daemon's YAML, since what it checks depends on it: {@code {shards}} in it stands for the shards'
 * addresses, {@code {single}} for the other server's.
 */
final class ShardedBackends<S extends ServerProcess> implements AutoCloseable {
    static final int SHARDS = 3;

    final List<S> shards;
    /** The server outside the ring; {@code null} when the test asked for none. */
    final S single;
    final Daemon daemon;

    private ShardedBackends(List<S> shards, S single, Daemon daemon) {
        this.shards = shards;
        this.single = single;
        this.daemon = daemon;
    }

    /** The shards only, and the daemon with {@code yaml}. */
    static <S extends ServerProcess> ShardedBackends<S> start(Supplier<S> server, String yaml) throws Exception {
        return start(server, false, yaml);
    }

    /** The shards and one more server, and the daemon with {@code yaml}. */
    static <S extends ServerProcess> ShardedBackends<S> withSingle(Supplier<S> server, String yaml) throws Exception {
        return start(server, true, yaml);
    }

    private static <S extends ServerProcess> ShardedBackends<S> start(Supplier<S> server, boolean withSingle, String yaml)
            throws Exception {
        List<S> started = new ArrayList<>();
        Daemon daemon = null;
        try {
            for (int i = 0; i < SHARDS + (withSingle ? 1 : 0); i++) {
                started.add(server.get());
            }
            List<S> shards = List.copyOf(started.subList(0, SHARDS));
            S single = withSingle ? started.get(SHARDS) : null;
            String addresses = shards.stream().map(ServerProcess::address).collect(Collectors.joining(", "));
            daemon = Daemon.start(yaml.replace("{shards}", addresses)
                    .replace("{single}", single == null ? "" : single.address()));
            daemon.awaitHealthy();
            return new ShardedBackends<>(shards, single, daemon);
        } catch (Exception | Error e) {
            if (daemon != null) {
                daemon.close();
            }
            started.forEach(ServerProcess::close);
            throw e;
        }
    }

    @Override
    public void close() {
        daemon.close();
        shards.forEach(ServerProcess::close);
        if (single != null) {
            single.close();
        }
    }
}
