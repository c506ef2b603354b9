package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.testing.LineProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A listener's pause as Redis 7.0's pauseClients keeps it: the later end and the stronger mode
 * win, a held client's wake-up runs once when the pause ends (UNPAUSE or its end time), and
 * refusals are never held.
 */
class ClientPausesTest {
    private final ClientPauses pauses = new ClientPauses("test");
    private final ClientCodec codec = LineProtocol.plain().newClientCodec(ClientLimits.DEFAULTS);
    private final DefaultEventLoop timer = new DefaultEventLoop();

    @AfterEach
    void tearDown() throws InterruptedException {
        timer.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void aWritePauseHoldsWritesOnlyUntilUnpauseWhichWakesTheHeldOnce() {
        AtomicInteger woken = new AtomicInteger();
        Runnable wake = woken::incrementAndGet;
        pauses.pause(System.currentTimeMillis() + 60_000, true, 1, timer);
        assertThat(holds("GET k", wake)).isFalse();
        assertThat(holds("SET k v", wake)).isTrue();
        assertThat(holds("SET k w", wake)).as("the same client again").isTrue();
        assertThat(holds("NOSUCH", wake)).as("a refusal is answered at once").isFalse();
        pauses.unpause(1);
        assertThat(woken).hasValue(1);
        assertThat(holds("SET k v", wake)).isFalse();
        pauses.unpause(1);
        assertThat(woken).as("nothing held, nothing woken").hasValue(1);
    }

    @Test
    void theStrongerModeAndTheLaterEndWin() {
        Runnable wake = () -> { };
        long now = System.currentTimeMillis();
        pauses.pause(now + 60_000, false, 1, timer);
        pauses.pause(now + 10, true, 2, timer);
        assertThat(holds("GET k", wake)).as("still ALL, and not over").isTrue();
        pauses.unpause(2);
        pauses.pause(now + 60_000, true, 1, timer);
        assertThat(holds("GET k", wake)).isFalse();
        pauses.pause(0, false, 1, timer);
        assertThat(holds("GET k", wake)).as("a zero timeout still makes it ALL, as Redis's max()").isTrue();
        pauses.unpause(1);
        pauses.pause(0, false, 1, timer);
        assertThat(holds("SET k v", wake)).as("a zero timeout alone pauses nothing").isFalse();
        pauses.pause(Long.MIN_VALUE + 5, false, 1, timer);
        assertThat(holds("SET k v", wake)).as("an end that wrapped around is in the past").isFalse();
    }

    @Test
    void theEndTimeWakesTheHeldClients() throws InterruptedException {
        CountDownLatch woken = new CountDownLatch(1);
        assertThat(holds("GET k", woken::countDown)).as("no pause yet").isFalse();
        long start = System.nanoTime();
        pauses.pause(System.currentTimeMillis() + 1000, false, 1, timer);
        assertThat(holds("GET k", woken::countDown)).isTrue();
        assertThat(woken.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(950);
        assertThat(holds("GET k", woken::countDown)).isFalse();
    }

    private boolean holds(String line, Runnable wake) {
        Command command;
        ByteBuf in = Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.US_ASCII);
        try {
            command = codec.decode(in);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            in.release();
        }
        try {
            return pauses.holds(command, codec, wake);
        } finally {
            command.release();
        }
    }
}
