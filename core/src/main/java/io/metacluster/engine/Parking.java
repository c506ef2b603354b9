package io.metacluster.engine;

import java.util.ArrayDeque;

/**
 * Holds a client's requests back, in order, while they may not go to the backends yet:
 * <ul>
 *   <li>while a conditional write of its own is in flight (memcached {@code cas}): its
 *       propagation to the other clusters must reach them before the client's later writes,
 *       and a later read must see it;</li>
 *   <li>while the replies it already has coming fill its window of {@link #WINDOW_BYTES}, as
 *       estimated from the size of its recent replies. Backend connections are shared and answer
 *       in order, so every byte one client has coming delays every other client's replies behind
 *       it: a client pipelining a thousand {@code GET}s of 1 MiB values would otherwise put a
 *       gigabyte in front of everyone. Small replies keep the window wide open
 *       ({@code max-pending-per-client} is then the bound).</li>
 * </ul>
 * Lives on the client's event loop.
 */
final class Parking {
    /** Reply bytes one client may have coming from the backends at once (at least one request). */
    static final long WINDOW_BYTES = 2L << 20;
    /** The reply size assumed before any reply came: 4 requests may go at first. */
    private static final long FIRST_ESTIMATE = WINDOW_BYTES / 4;

    private final ArrayDeque<Slot> parked = new ArrayDeque<>();
    private int conditionalsInFlight;
    /** Requests started and not answered yet. */
    private int started;
    /** A moving average of the client's reply sizes (one eighth per reply), from its first reply on. */
    private long replyEstimate = FIRST_ESTIMATE;
    private boolean measured;
    private boolean releasing;

    /** Starts {@code request} now, or once what holds it back is done. */
    void start(Slot request) {
        if (!parked.isEmpty() || !mayBegin()) {
            parked.add(request);
        } else {
            begin(request);
        }
    }

    private boolean mayBegin() {
        return conditionalsInFlight == 0 && (started == 0 || started * replyEstimate < WINDOW_BYTES);
    }

    private void begin(Slot request) {
        if (request.conditional()) {
            conditionalsInFlight++;
        }
        started++;
        request.start();
    }

    /** A started request was answered with {@code replyBytes}: what waited for room in the window may go. */
    void answered(int replyBytes) {
        started--;
        long size = Math.max(replyBytes, 16);
        replyEstimate = measured ? replyEstimate + (size - replyEstimate) / 8 : size;
        measured = true;
        release();
    }

    /** A conditional write was answered and its propagation sent: what waited behind it may go. */
    void conditionalDone() {
        conditionalsInFlight--;
        release();
    }

    private void release() {
        // a request that starts may be answered at once (no cluster up): the loop below goes on with the next
        if (releasing) {
            return;
        }
        releasing = true;
        try {
            while (!parked.isEmpty() && mayBegin()) {
                begin(parked.poll());
            }
        } finally {
            releasing = false;
        }
    }
}
