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
}
