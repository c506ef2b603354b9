package io.metacluster.memcached;

import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification.RepairOutcome;
import io.metacluster.testing.CommandExchange;
import io.metacluster.testing.MemcachedServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conditional repairs against a real memcached: {@code ms ... C<cas>}, an add where the target
 * held nothing, {@code md ... C<cas>}; a write that reached the target since the capture wins.
 */
class MemcachedConditionalRepairTest {
    private static final MemcachedVerification VERIFICATION = MemcachedVerification.INSTANCE;
    static MemcachedServer server;
    static CommandExchange exchange;

    @BeforeAll
    static void start() throws IOException {
        server = MemcachedServer.start();
        exchange = CommandExchange.connect(server, () -> MemcachedNodeSync::valueLength);
    }

    @AfterAll
    static void stop() throws IOException {
        exchange.close();
        server.close();
    }

    private static List<ByteBuf> capture(String key) {
        return VERIFICATION.capture(key(key), ByteBufAllocator.DEFAULT).stream().map(exchange::send).toList();
    }

    private static ByteBuf key(String key) {
        return Unpooled.copiedBuffer(key, StandardCharsets.US_ASCII);
    }

    private static RepairOutcome apply(Command repair) {
        Command kept = repair.retain();
        try {
            return VERIFICATION.repairOutcome(kept, exchange.send(repair));
        } finally {
            kept.release();
        }
    }

    @Test
    void aRepairAppliesOnlyWhileTheTargetHoldsWhatWasCaptured() {
        assertThat(server.request("set src 7 600 5\r\nnewer\r\n", false)).containsExactly("STORED");
        assertThat(server.set("t", "old")).isTrue();
        List<ByteBuf> source = capture("src");
        List<ByteBuf> target = capture("t");
        assertThat(server.set("t", "written since")).isTrue();
        assertThat(apply(VERIFICATION.restoreIf(key("t"), source, target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.DECLINED);
        assertThat(server.get("t")).isEqualTo("written since");

        target = capture("t");
        assertThat(apply(VERIFICATION.restoreIf(key("t"), source, target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.APPLIED);
        assertThat(server.request("mg t v f t\r\n", false).get(0)).matches("VA 5 f7 t(600|59[0-9])");
        assertThat(server.get("t")).isEqualTo("newer");

        // the target held nothing: an add, which a value written since defeats
        List<ByteBuf> absent = capture("fresh");
        assertThat(server.set("fresh", "arrived")).isTrue();
        assertThat(apply(VERIFICATION.restoreIf(key("fresh"), source, absent, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.DECLINED);
        assertThat(server.get("fresh")).isEqualTo("arrived");
        assertThat(apply(VERIFICATION.restoreIf(key("fresh2"), source, capture("fresh2"), ByteBufAllocator.DEFAULT)))
                .isEqualTo(RepairOutcome.APPLIED);
        assertThat(server.get("fresh2")).isEqualTo("newer");
    }

    @Test
    void aDeletionIsConditionalToo() {
        assertThat(server.set("d", "v")).isTrue();
        List<ByteBuf> target = capture("d");
        assertThat(server.set("d", "v2")).isTrue();
        assertThat(apply(VERIFICATION.deleteIf(key("d"), target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.DECLINED);
        assertThat(server.get("d")).isEqualTo("v2");
        assertThat(apply(VERIFICATION.deleteIf(key("d"), capture("d"), ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.APPLIED);
        assertThat(server.get("d")).isNull();
        // absent on the source: a conditional delete; absent on both: nothing
        assertThat(server.set("gone", "stale")).isTrue();
        List<ByteBuf> nothing = capture("nothing-here");
        assertThat(apply(VERIFICATION.restoreIf(key("gone"), nothing, capture("gone"), ByteBufAllocator.DEFAULT)))
                .isEqualTo(RepairOutcome.APPLIED);
        assertThat(server.get("gone")).isNull();
        assertThat(VERIFICATION.restoreIf(key("gone"), nothing, capture("gone"), ByteBufAllocator.DEFAULT)).isNull();
    }

    @Test
    void theScrubComparesValueAndFlags() {
        Command read = VERIFICATION.scrubRead(key("k"), null, ByteBufAllocator.DEFAULT);
        try {
            assertThat(read.frame().toString(StandardCharsets.US_ASCII)).isEqualTo("mg k v f\r\n");
            assertThat(VERIFICATION.verifiable(read)).isTrue();
        } finally {
            read.release();
        }
    }
}
