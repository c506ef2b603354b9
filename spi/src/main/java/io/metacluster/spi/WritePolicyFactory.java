package io.metacluster.spi;

/**
 * Makes the {@link WritePolicy} of a listener ({@code write: { policy: NAME, ... }}). The core
 * ships {@code first}, {@code local}, {@code quorum} and {@code all}; plugins may add more.
 */
public interface WritePolicyFactory<C> extends StrategyFactory<C> {
    WritePolicy create(C config);
}
