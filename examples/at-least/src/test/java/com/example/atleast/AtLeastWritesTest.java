package com.example.atleast;

import io.metacluster.spi.ClusterView;
import io.metacluster.spi.InvalidConfigException;
import io.metacluster.spi.WritePolicy.Verdict;
import io.metacluster.spi.WriteTally;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtLeastWritesTest {
    record Tally(int clusters, int succeeded, int failed) implements WriteTally {
        @Override
        public int localClusters() {
            return 0;
        }

        @Override
        public int localSucceeded() {
            return 0;
        }

        @Override
        public int localFailed() {
            return 0;
        }
    }

    record Cluster(String name, boolean local, boolean healthy) implements ClusterView {
    }

    @Test
    void answersOnceNClustersSucceededAndFailsWhenTooFewAreLeft() {
        assertThat(AtLeastWrites.verdict(new Tally(3, 1, 0), 2)).isEqualTo(Verdict.PENDING);
        assertThat(AtLeastWrites.verdict(new Tally(3, 2, 0), 2)).isEqualTo(Verdict.SUCCEEDED);
        assertThat(AtLeastWrites.verdict(new Tally(3, 1, 1), 2)).isEqualTo(Verdict.PENDING);
        assertThat(AtLeastWrites.verdict(new Tally(3, 1, 2), 2)).isEqualTo(Verdict.FAILED);
    }

    @Test
    void leftOutItIsTwoAndItCannotExceedTheClusters() throws Exception {
        AtLeastWrites factory = new AtLeastWrites();
        AtLeastWrites.Config config = new AtLeastWrites.Config(0);
        assertThat(config.clusters()).isEqualTo(2);
        List<Cluster> two = List.of(new Cluster("a", true, false), new Cluster("b", false, false));
        factory.validate(config, two);
        assertThatThrownBy(() -> factory.validate(new AtLeastWrites.Config(3), two))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("at-least 3 clusters, but the listener has 2");
        assertThatThrownBy(() -> new AtLeastWrites.Config(-1)).hasMessage("clusters must be 1 or more, got -1");
    }
}
