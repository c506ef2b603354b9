package io.metacluster.spi;

import org.pf4j.ExtensionPoint;

/**
 * What every named, configurable extension has in common. The host finds an extension by
 * {@link #name()} and converts the extension's YAML block (without its naming key) into
 * {@link #configType()} with Jackson, refusing unknown fields, before calling its
 * {@code create} method. Factories are shared and stateless.
 *
 * @param <C> the typed configuration: a record whose components are the block's keys
 *            (kebab-case in YAML), or {@link NoConfig}
 */
public interface StrategyFactory<C> extends ExtensionPoint {

    /** The name used in the config. Lower case, unique among extensions of the same kind. */
    String name();

    /** The record the YAML block is converted to. */
    Class<C> configType();
}
