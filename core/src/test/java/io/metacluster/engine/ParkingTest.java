package io.metacluster.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The contract of {@link Parking}: a client's requests wait behind its conditional writes, in order. */
class ParkingTest {
    private final Parking parking = new Parking();
    private final List<String> started = new ArrayList<>();

    private Slot request(String name, boolean conditional) {
        return new Slot() {
            @Override
            boolean conditional() {
                return conditional;
            }

            @Override
            void start() {
                started.add(name);
            }
        };
    }

    @Test
    void withNoConditionalWriteInFlightRequestsStartAtOnce() {
        parking.start(request("get", false));
        parking.start(request("set", false));

        assertThat(started).containsExactly("get", "set");
    }

    @Test
    void requestsBehindAConditionalWriteWaitUntilItIsDoneThenStartInOrder() {
        parking.start(request("cas", true));
        parking.start(request("set", false));
        parking.start(request("get", false));
        assertThat(started).containsExactly("cas");

        parking.conditionalDone();
        assertThat(started).containsExactly("cas", "set", "get");

        parking.start(request("later", false));
        assertThat(started).containsExactly("cas", "set", "get", "later");
    }

    @Test
    void aConditionalWriteBehindAnotherWaitsTooAndHoldsBackWhatFollowsIt() {
        parking.start(request("cas 1", true));
        parking.start(request("cas 2", true));
        parking.start(request("get", false));
        assertThat(started).containsExactly("cas 1");

        parking.conditionalDone();
        assertThat(started).containsExactly("cas 1", "cas 2");

        parking.conditionalDone();
        assertThat(started).containsExactly("cas 1", "cas 2", "get");
    }

    @Test
    void aClientWhoseRepliesAreLargeHasOnlyAWindowOfThemComing() {
        for (int i = 0; i < 40; i++) {
            parking.start(request("get " + i, false));
        }
        assertThat(started).as("before any reply: 4").hasSize(4);

        // replies of 1 MiB: the estimate rises, and fewer requests may be coming at once
        for (int i = 0; i < 4; i++) {
            parking.answered(1 << 20);
        }
        int coming = started.size() - 4;
        assertThat(coming).isBetween(1, 2);
        for (int i = 0; i < 60 && started.size() < 40; i++) {
            parking.answered(1 << 20);
        }
        assertThat(started).as("every request starts in the end, in order").hasSize(40).startsWith("get 0", "get 1")
                .endsWith("get 39");
    }

    @Test
    void smallRepliesKeepTheWindowOpen() {
        parking.start(request("first", false));
        parking.answered(5);
        for (int i = 0; i < 1000; i++) {
            parking.start(request("get " + i, false));
        }
        for (int i = 0; i < 20; i++) {
            parking.answered(5);
        }
        for (int i = 0; i < 1000; i++) {
            parking.start(request("more " + i, false));
        }
        assertThat(started).hasSize(2001);
    }

    @Test
    void aRequestAnsweredAsItStartsLetsTheNextOneGoWithoutRecursion() {
        Parking window = new Parking();
        List<String> answeredAtOnce = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            window.start(request("slow " + i, false));
        }
        for (int i = 0; i < 5000; i++) {
            String name = "refused " + i;
            window.start(new Slot() {
                @Override
                void start() {
                    answeredAtOnce.add(name);
                    window.answered(100);
                }
            });
        }
        assertThat(answeredAtOnce).isEmpty();
        window.answered(100);
        assertThat(answeredAtOnce).hasSize(5000);
    }
}
