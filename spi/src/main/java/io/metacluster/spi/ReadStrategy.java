package io.metacluster.spi;

/**
 * Makes the {@link ReadSelector} of a listener ({@code read: { strategy: NAME, ... }}).
 * Called once per listener at start, off the event loops.
 */
public interface ReadStrategy<C> extends StrategyFactory<C> {
    ReadSelector create(C config);
}
