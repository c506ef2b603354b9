package io.metacluster.spi;

/**
 * Makes the {@link ReadVerifier} of a listener ({@code verify: { strategy: NAME, ... }}).
 *
 * <p>{@link #validate} runs while the config is checked (at start and by {@code --check}), so
 * refuse there what the config and the listener's clusters make impossible. {@link #create}
 * needs the running engine's {@link VerifyContext}: it is called once per listener when the
 * daemon starts (never by {@code --check}), off the event loops.
 */
public interface VerifyStrategy<C> extends StrategyFactory<C> {
    ReadVerifier create(C config, VerifyContext context);
}
