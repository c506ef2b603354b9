package io.metacluster.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A port that clients connect to, bound to one protocol and a set of clusters, as written
 * ({@link ListenerPlan} is what the engine gets).
 *
 * <p>{@code read}, {@code write} and {@code verify} are the raw strategy blocks; the
 * {@link PlanResolver} picks the extension each names and converts the rest of the block to
 * that extension's typed config. {@code tls}, when present, makes clients connect with TLS;
 * {@code auth}, when present, makes them authenticate. With {@code miss-failover}, a read that
 * misses on the cluster that served it is tried once more on another cluster (off by default:
 * for a cache a miss is normal, and the retry costs a remote round trip). {@code protocol-options}
 * is the protocol's own block ({@link io.metacluster.spi.Protocol#optionsType()}).
 */
record ListenerConfig(String name, String protocol, HostPort bind, List<String> clusters,
                      ObjectNode read, ObjectNode write, ObjectNode verify, LimitsConfig limits, TlsConfig tls,
                      AuthConfig auth, boolean missFailover, ObjectNode protocolOptions) {
    public ListenerConfig {
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
        limits = limits == null ? LimitsConfig.DEFAULTS : limits;
    }
}
