package io.metacluster.verify;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PacerTest {
    /** A clock that only moves when the pacer sleeps or the test says so. */
    private long now = 1_000_000_000L;
    private final List<Long> sleeps = new ArrayList<>();
    private final Pacer pacer = new Pacer(10_000, () -> now, nanos -> {
        sleeps.add(nanos);
        now += nanos;
    });

    @Test
    void holdsTheRateOverEveryChunk() throws InterruptedException {
        long start = now;
        for (int i = 0; i < 20; i++) {
            pacer.await(500); // a twentieth of a second's worth
        }
        // the first chunk goes at once, each later one 50 ms after the one before
        assertThat(now - start).isEqualTo(19 * 50_000_000L);
        assertThat(sleeps).hasSize(19).containsOnly(50_000_000L);
    }

    @Test
    void aStallEarnsNoBurst() throws InterruptedException {
        pacer.await(500);
        now += 3_000_000_000L; // the walk waited 3 s on a slow node
        pacer.await(500);
        assertThat(sleeps).isEmpty();
        long before = now;
        pacer.await(500);
        assertThat(now - before).as("the cap holds right after the stall").isEqualTo(50_000_000L);
    }

    @Test
    void slowerCallersAreNotHeldBack() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            pacer.await(100); // 10 ms worth
            now += 20_000_000L; // the caller itself takes 20 ms
        }
        assertThat(sleeps).isEmpty();
    }
}
