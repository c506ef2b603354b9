package io.metacluster.spi;

/**
 * Makes the {@link ReadSelector} of a listener ({@code read: { strategy: NAME, ... }}).
 *
 * <p>{@link #create} is called once per listener while the config is checked (at start and by
 * {@code --check}), after {@link #validate} accepted the config, off the event loops. A
 * {@link RuntimeException} it throws refuses the config (its message is reported with the
 * file and line), so it must build the selector and nothing more: no threads, no I/O.
 */
public interface ReadStrategy<C> extends StrategyFactory<C> {
    ReadSelector create(C config);
}
