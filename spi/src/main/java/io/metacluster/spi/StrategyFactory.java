package io.metacluster.spi;

import org.pf4j.ExtensionPoint;

import java.util.List;

/**
 * What every named, configurable extension has in common. The host finds an extension by
 * {@link #name()} and converts the extension's YAML block (without its naming key) into
 * {@link #configType()} with Jackson, refusing unknown fields, then calls {@link #validate}
 * and its {@code create} method: all of this once, while the config is checked (at start and by
 * {@code --check}), off the event loops; a {@link VerifyStrategy}'s {@code create} is called
 * once more when the daemon starts (see there). Factories are shared and stateless.
 *
 * @param <C> the typed configuration: a record whose components are the block's keys
 *            (kebab-case in YAML), or {@link NoConfig}
 */
public interface StrategyFactory<C> extends ExtensionPoint {

    /** The name used in the config. Lower case, unique among extensions of the same kind. */
    String name();

    /** The record the YAML block is converted to. */
    Class<C> configType();

    /**
     * Checks {@code config} against the clusters the extension will serve, before anything is
     * created or connected. A check of the block's own values alone belongs in the config
     * record's constructor (throw {@link IllegalArgumentException}); this hook is for what needs
     * the clusters, e.g. a cluster name that must be one of them, or a policy that needs a
     * {@code local: true} cluster. The default accepts everything.
     *
     * <p>Must not block, start threads or keep references: it also runs for {@code --check},
     * which starts nothing.
     *
     * @param config   the converted block
     * @param clusters for a listener's read, write and verify extensions: the listener's
     *                 clusters, in configuration order; for a {@link TopologyFactory}: the one
     *                 cluster it maps. Only {@link ClusterView#name()} and
     *                 {@link ClusterView#local()} are meaningful here: nothing is connected yet,
     *                 so {@link ClusterView#healthy()} answers {@code false}
     * @throws InvalidConfigException to refuse the config; the daemon does not start
     */
    default void validate(C config, List<? extends ClusterView> clusters) throws InvalidConfigException {
    }
}
