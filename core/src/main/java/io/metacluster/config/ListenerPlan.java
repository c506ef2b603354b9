package io.metacluster.config;

import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.VerifyContext;
import io.metacluster.spi.VerifyStrategy;
import io.metacluster.spi.WritePolicy;

import java.util.List;

/**
 * One listener, resolved: its protocol and strategies chosen, their configs converted and
 * validated, the read selector and write policy already made.
 *
 * @param protocolOptions the protocol's options, an instance of {@link Protocol#optionsType()}
 * @param clusters        the names of its clusters, in configuration order (each in {@link Plan#clusters()})
 * @param read            from {@code read:}
 * @param write           from {@code write:}
 * @param verify          from {@code verify:}, made when the engine starts
 * @param tls             TLS for clients, or {@code null}
 * @param auth            client authentication, or {@code null}
 * @param missFailover    a read that misses is tried once more on another cluster
 * @param strategies      its read strategy, write policy and verify strategy by name, with their
 *                        settings, for the start-up log
 */
public record ListenerPlan(String name, Protocol protocol, Object protocolOptions, HostPort bind, List<String> clusters,
                           ReadSelector read, WritePolicy write, Verify verify, LimitsConfig limits, TlsConfig tls,
                           AuthConfig auth, boolean missFailover, String strategies) {
    public ListenerPlan {
        clusters = List.copyOf(clusters);
    }

    /**
     * The listener's verify strategy and its validated config. A {@link ReadVerifier} needs the
     * running engine ({@link VerifyContext}), so it is made at start, not while checking.
     */
    public record Verify(VerifyStrategy<?> strategy, Object config) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        public ReadVerifier create(VerifyContext context) {
            return ((VerifyStrategy) strategy).create(config, context);
        }
    }
}
