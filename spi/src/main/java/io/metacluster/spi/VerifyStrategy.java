package io.metacluster.spi;

/**
 * Makes the {@link ReadVerifier} of a listener ({@code verify: { strategy: NAME, ... }}).
 *
 * <p>{@link #validate} runs while the config is checked (at start and by {@code --check}), so
 * refuse there what the config and the listener's clusters make impossible. {@link #create} is
 * called twice per listener, off the event loops: first while the config is checked, with a
 * context in which nothing runs (its clusters are the configured ones, none healthy; its metrics
 * count nowhere; {@link VerifyContext#schedule} and {@link VerifyContext#send} throw), and the
 * verifier it returns is dropped; an exception it throws then refuses the config, with the
 * listener's line and the plugin's jar. Then, when the daemon starts (and at a reload that changes
 * the listener's verify block or clusters), with the running engine's context, still off the
 * event loops (so {@code schedule} and {@code send} throw there too) and, at start, before the
 * clusters are connected; an exception it throws then refuses the config the same way (exit 2 at
 * start; a reload is refused, the running config kept). So {@code create} must only build the
 * verifier: no threads, no timers, no I/O.
 */
public interface VerifyStrategy<C> extends StrategyFactory<C> {
    ReadVerifier create(C config, VerifyContext context);
}
