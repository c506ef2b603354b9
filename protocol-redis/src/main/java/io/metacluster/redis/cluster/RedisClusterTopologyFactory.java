package io.metacluster.redis.cluster;

import io.metacluster.spi.NodeAccess;
import io.metacluster.spi.Topology;
import io.metacluster.spi.TopologyFactory;
import org.pf4j.Extension;

import java.util.List;

/**
 * {@code topology: redis-cluster} ({@link RedisClusterTopology}): {@link #create} reads the slot
 * map from the first seed that answers (with the cluster's credentials and TLS), so the daemon connects
 * to every master and replica.
 * A cluster no seed answers for is still accepted, with the seeds as its only nodes.
 */
@Extension
public final class RedisClusterTopologyFactory implements TopologyFactory<RedisClusterOptions> {
    @Override
    public String name() {
        return "redis-cluster";
    }

    @Override
    public Class<RedisClusterOptions> configType() {
        return RedisClusterOptions.class;
    }

    @Override
    public Topology create(RedisClusterOptions config, List<String> nodes) {
        return create(config, nodes, NodeAccess.PLAIN);
    }

    @Override
    public Topology create(RedisClusterOptions config, List<String> nodes, NodeAccess access) {
        return new RedisClusterTopology(nodes, config == null ? new RedisClusterOptions(0, 0) : config, access);
    }
}
