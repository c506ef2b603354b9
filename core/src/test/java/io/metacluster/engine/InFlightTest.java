package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The requests in flight on one node connection: oldest first, each with its listener, the
 * time it was sent and whether it is a client's write, however many there are and however the
 * ring wrapped around before it grew.
 */
class InFlightTest {
    private final InFlight inFlight = new InFlight();
    private final List<ReplyListener> listeners = new ArrayList<>();

    private static Command command(int i) {
        return Command.of(Unpooled.EMPTY_BUFFER, "C" + i, CommandKind.WRITE, null, null);
    }

    private ReplyListener listener(int i) {
        while (listeners.size() <= i) {
            listeners.add(new ReplyListener() {
                @Override
                public void onReply(ByteBuf reply, boolean error) {
                }

                @Override
                public void onFailure(String reason) {
                }
            });
        }
        return listeners.get(i);
    }

    private void add(int from, int to) {
        for (int i = from; i < to; i++) {
            if (i % 3 == 0) {
                inFlight.reserveWrite();
            }
            inFlight.add(command(i), listener(i), 1000L + i, i % 3 == 0);
        }
    }

    /** Takes the oldest off, checking it is request {@code i} with everything it was added with. */
    private void removeExpecting(int i) {
        assertThat(inFlight.isEmpty()).isFalse();
        assertThat(inFlight.command().name()).isEqualTo("C" + i);
        assertThat(inFlight.listener()).isSameAs(listener(i));
        assertThat(inFlight.sentAtNanos()).isEqualTo(1000L + i);
        assertThat(inFlight.write()).isEqualTo(i % 3 == 0);
        inFlight.removeOldest();
    }

    @Test
    void startsEmptyAndGivesRequestsBackOldestFirst() {
        assertThat(inFlight.isEmpty()).isTrue();
        add(0, 3);
        removeExpecting(0);
        removeExpecting(1);
        add(3, 4);
        removeExpecting(2);
        removeExpecting(3);
        assertThat(inFlight.isEmpty()).isTrue();
    }

    @Test
    void keepsTheOrderWhenItGrowsPastItsFirstCapacity() {
        add(0, 1000);
        for (int i = 0; i < 1000; i++) {
            removeExpecting(i);
        }
        assertThat(inFlight.isEmpty()).isTrue();
    }

    @Test
    void keepsTheOrderWhenItGrowsWhileWrappedAround() {
        // the ring's head well inside it, its tail wrapped to the front, then full: grown from there
        add(0, 50);
        for (int i = 0; i < 40; i++) {
            removeExpecting(i);
        }
        add(50, 300);
        for (int i = 40; i < 300; i++) {
            removeExpecting(i);
        }
        assertThat(inFlight.isEmpty()).isTrue();
    }

    @Test
    void goesRoundTheRingManyTimesWithoutGrowingOrLosingOne() {
        int next = 0;
        int oldest = 0;
        for (int round = 0; round < 1000; round++) {
            add(next, next + 7);
            next += 7;
            for (int i = 0; i < 7; i++) {
                removeExpecting(oldest++);
            }
        }
        assertThat(inFlight.isEmpty()).isTrue();
    }

    @Test
    void countsTheClientsWritesInFlightThoughRecordedSince() {
        add(0, 10); // writes: 0, 3, 6, 9
        assertThat(inFlight.directWrites()).isEqualTo(4);
        inFlight.reserveWrite();
        assertThat(inFlight.directWrites()).as("reserved before the node's state is read").isEqualTo(5);
        inFlight.unreserveWrite();
        removeExpecting(0);
        assertThat(inFlight.directWrites()).isEqualTo(3);
        for (int i = 1; i < 10; i++) {
            removeExpecting(i);
        }
        assertThat(inFlight.directWrites()).isZero();
    }
}
