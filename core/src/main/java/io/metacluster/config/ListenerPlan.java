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
     * The listener's verify strategy and its validated config. The {@link ReadVerifier} that runs
     * needs the running engine ({@link VerifyContext}), so it is made at start and at a reload,
     * after the one made while checking was dropped.
     *
     * @param refusal what a refusal of it starts with: the config's file, line and field, the
     *                strategy's class and its plugin and jar
     */
    public record Verify(VerifyStrategy<?> strategy, Object config, String refusal) {
        /**
         * The verifier, made with the running engine's {@code context}.
         *
         * @throws ConfigException when {@code create} throws: a config refused as if by the check,
         *                         naming the listener and why (the exception is its cause)
         */
        @SuppressWarnings({"unchecked", "rawtypes"})
        public ReadVerifier create(VerifyContext context) throws ConfigException {
            try {
                return ((VerifyStrategy) strategy).create(config, context);
            } catch (RuntimeException | LinkageError e) { // a LinkageError: a plugin jar that lacks a class it uses
                throw new ConfigException(refusal + " failed in create() for listener " + context.listener()
                        + " with the running engine: " + PlanResolver.reason(e), e);
            }
        }
    }
}
