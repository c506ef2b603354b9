package io.metacluster.verify;

import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.ReplyVerification;
import io.metacluster.spi.VerifyContext;
import io.metacluster.spi.VerifyStrategy;
import org.pf4j.Extension;

/**
 * {@code verify: { strategy: sampled, rate: 0.01, repair: invalidate, ... }}: repeats a share of
 * the served reads on another cluster in the background, compares the replies the way the
 * listener's protocol says ({@link ReplyVerification}), and repairs what persistently differs.
 * See {@link SampledConfig} for the settings and {@link SampledVerifier} for the behaviour.
 */
@Extension
public final class SampledStrategy implements VerifyStrategy<SampledConfig> {

    @Override
    public String name() {
        return "sampled";
    }

    @Override
    public Class<SampledConfig> configType() {
        return SampledConfig.class;
    }

    @Override
    public ReadVerifier create(SampledConfig config, VerifyContext context) {
        ReplyVerification verification = context.protocol().verification();
        if (verification == null) {
            throw new IllegalArgumentException("listener " + context.listener() + ": protocol " + context.protocol().name()
                    + " cannot compare replies, so verify strategy 'sampled' cannot be used with it");
        }
        return new SampledVerifier(config, context, verification);
    }
}
