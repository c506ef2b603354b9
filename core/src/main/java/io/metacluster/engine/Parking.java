package io.metacluster.engine;

import java.util.ArrayDeque;

/**
 * Holds a client's requests back while a conditional write of its own is in flight (memcached
 * {@code cas}): its propagation to the other clusters must reach them before the client's later
 * writes, and a later read must see it. Lives on the client's event loop.
 */
final class Parking {
    private final ArrayDeque<Slot> parked = new ArrayDeque<>();
    private int conditionalsInFlight;

    /** Starts {@code request} now, or once the conditional writes before it are done. */
    void start(Slot request) {
        if (conditionalsInFlight > 0) {
            parked.add(request);
        } else {
            begin(request);
        }
    }

    private void begin(Slot request) {
        if (request.conditional()) {
            conditionalsInFlight++;
        }
        request.start();
    }

    /** A conditional write was answered and its propagation sent: what waited behind it may go. */
    void conditionalDone() {
        conditionalsInFlight--;
        while (conditionalsInFlight == 0 && !parked.isEmpty()) {
            begin(parked.poll());
        }
    }
}
