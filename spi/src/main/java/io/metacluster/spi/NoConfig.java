package io.metacluster.spi;

/** The {@link StrategyFactory#configType()} of an extension that takes no settings. */
public record NoConfig() {
}
