package io.metacluster.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.metacluster.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code verify:} block as the host converts it: kebab-case keys, defaults, refusals that name the field. */
class SampledConfigTest {
    private static SampledConfig convert(String yaml) throws Exception {
        ObjectNode block = (ObjectNode) new YAMLMapper().readTree(yaml);
        return (SampledConfig) ConfigLoader.convert(new SampledStrategy(), block, "strategy");
    }

    @Test
    void defaultsAndKebabCaseKeys() throws Exception {
        SampledConfig defaults = convert("strategy: sampled");
        assertThat(defaults).isEqualTo(SampledConfig.defaults());
        assertThat(defaults.rate()).isEqualTo(0.01);
        assertThat(defaults.repairPolicy()).isEqualTo(SampledConfig.Repair.INVALIDATE);
        SampledConfig set = convert("""
                strategy: sampled
                rate: 1
                max-per-second: 5
                max-in-flight: 7
                repair: local-wins
                recheck-delay-ms: 20
                max-rechecks: 2
                max-logs-per-second: 0
                """);
        assertThat(set).isEqualTo(new SampledConfig(1.0, 5, 7, "local-wins", 20, 2, 0, null));
        assertThat(set.repairPolicy()).isEqualTo(SampledConfig.Repair.LOCAL_WINS);
        assertThat(convert("repair: majority").repairPolicy()).isEqualTo(SampledConfig.Repair.MAJORITY);
        assertThat(convert("rate: 0").rate()).isZero();
    }

    @Test
    void badValuesAreRefusedWithTheFieldsName() {
        assertThatThrownBy(() -> convert("rate: 1.5")).hasMessageContaining("rate must be between 0 and 1");
        assertThatThrownBy(() -> convert("max-per-second: 0")).hasMessageContaining("max-per-second must be at least 1");
        assertThatThrownBy(() -> convert("max-in-flight: -1")).hasMessageContaining("max-in-flight");
        assertThatThrownBy(() -> convert("repair: fix-it")).hasMessageContaining("repair must be one of none, invalidate, local-wins, majority");
        assertThatThrownBy(() -> convert("recheck-delay-ms: 0")).hasMessageContaining("recheck-delay-ms");
        assertThatThrownBy(() -> convert("sample-rate: 0.1")).hasMessageContaining("sample-rate");
    }

    @Test
    void theScrubIsOffUnlessConfiguredAndTakesItsRate() throws Exception {
        assertThat(convert("strategy: sampled").scrub()).isNull();
        assertThat(convert("scrub: { keys-per-second: 5 }").scrub().keysPerSecond()).isEqualTo(5);
        assertThat(convert("scrub: {}").scrub().keysPerSecond()).isEqualTo(10_000);
        assertThatThrownBy(() -> convert("scrub: { keys-per-second: -1 }")).hasMessageContaining("scrub.keys-per-second");
        assertThatThrownBy(() -> convert("scrub: { keys-per-secnd: 5 }")).hasMessageContaining("keys-per-secnd");
    }
}
