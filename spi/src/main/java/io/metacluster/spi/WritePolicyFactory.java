package io.metacluster.spi;

/**
 * Makes the {@link WritePolicy} of a listener ({@code write: { policy: NAME, ... }}). The core
 * ships {@code first}, {@code local} (its {@link #validate} refuses a listener without a
 * {@code local: true} cluster), {@code quorum} and {@code all}; plugins may add more.
 *
 * <p>{@link #create} is called once per listener while the config is checked (at start and by
 * {@code --check}), after {@link #validate} accepted the config, off the event loops. A
 * {@link RuntimeException} it throws refuses the config (its message is reported with the
 * file and line), so it must build the policy and nothing more: no threads, no I/O.
 */
public interface WritePolicyFactory<C> extends StrategyFactory<C> {
    WritePolicy create(C config);
}
