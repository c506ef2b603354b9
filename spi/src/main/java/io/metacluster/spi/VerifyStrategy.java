package io.metacluster.spi;

/**
 * Makes the {@link ReadVerifier} of a listener ({@code verify: { strategy: NAME, ... }}).
 * Called once per listener at start, off the event loops.
 */
public interface VerifyStrategy<C> extends StrategyFactory<C> {
    ReadVerifier create(C config, VerifyContext context);
}
