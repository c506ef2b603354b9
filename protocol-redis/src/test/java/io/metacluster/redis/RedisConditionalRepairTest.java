package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.ReplyVerification.RepairOutcome;
import io.metacluster.testing.CommandExchange;
import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;
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
 * Conditional repairs and scrub reads against a real redis-server: a repair applies only while
 * the target holds the state captured from it, and the scrub's read follows the key's type.
 */
class RedisConditionalRepairTest {
    private static final RedisVerification VERIFICATION = RedisVerification.standard();
    static RedisServer redis;
    static RespClient client;
    static CommandExchange exchange;

    @BeforeAll
    static void start() throws IOException {
        redis = RedisServer.start();
        client = redis.client();
        exchange = CommandExchange.connect(redis, () -> new RespSplitter()::frameLength);
    }

    @AfterAll
    static void stop() throws IOException {
        exchange.close();
        client.close();
        redis.close();
    }

    /** Sends {@code command} as built (and releases it); the raw reply, byte for byte (ISO-8859-1). */
    private static String send(Command command) {
        return exchange.send(command).toString(StandardCharsets.ISO_8859_1);
    }

    /** The replies to capture(key), as the verifier would hold them. */
    private static List<ByteBuf> capture(String key) {
        return VERIFICATION.capture(key(key), ByteBufAllocator.DEFAULT).stream()
                .map(c -> Unpooled.copiedBuffer(send(c), StandardCharsets.ISO_8859_1)).toList();
    }

    private static ByteBuf key(String key) {
        return Unpooled.copiedBuffer(key, StandardCharsets.US_ASCII);
    }

    private static RepairOutcome apply(Command repair) {
        Command kept = repair.retain();
        String reply = send(repair);
        try {
            return VERIFICATION.repairOutcome(kept, Unpooled.copiedBuffer(reply, StandardCharsets.ISO_8859_1));
        } finally {
            kept.release();
        }
    }

    @Test
    void aRepairAppliesOnlyWhileTheTargetHoldsWhatWasCaptured() {
        client.call("SET", "src", "newer");
        client.call("PEXPIRE", "src", "600000");
        client.call("HSET", "t", "f", "old");
        List<ByteBuf> source = capture("src");
        List<ByteBuf> target = capture("t");
        // a write reaches the target after the capture: the repair must leave it
        client.call("HSET", "t", "g", "written since");
        assertThat(apply(VERIFICATION.restoreIf(key("t"), source, target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.DECLINED);
        assertThat(client.call("HGET", "t", "g")).isEqualTo("written since");

        target = capture("t");
        assertThat(apply(VERIFICATION.restoreIf(key("t"), source, target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.APPLIED);
        assertThat(client.call("GET", "t")).isEqualTo("newer");
        assertThat((Long) client.call("PTTL", "t")).isBetween(500_000L, 600_000L);
    }

    @Test
    void aDeletionIsConditionalToo() {
        client.call("SET", "d", "v");
        List<ByteBuf> target = capture("d");
        client.call("SET", "d", "v2");
        assertThat(apply(VERIFICATION.deleteIf(key("d"), target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.DECLINED);
        assertThat(client.call("GET", "d")).isEqualTo("v2");
        target = capture("d");
        assertThat(apply(VERIFICATION.deleteIf(key("d"), target, ByteBufAllocator.DEFAULT))).isEqualTo(RepairOutcome.APPLIED);
        assertThat(client.call("EXISTS", "d")).isEqualTo(0L);

        // absent on the source: deleted where the target still holds what was seen
        client.call("SET", "gone", "stale");
        List<ByteBuf> absent = capture("nothing-here");
        assertThat(apply(VERIFICATION.restoreIf(key("gone"), absent, capture("gone"), ByteBufAllocator.DEFAULT)))
                .isEqualTo(RepairOutcome.APPLIED);
        assertThat(client.call("EXISTS", "gone")).isEqualTo(0L);
        // absent on both: nothing to do
        assertThat(VERIFICATION.restoreIf(key("gone"), absent, capture("gone"), ByteBufAllocator.DEFAULT)).isNull();
        // absent on the target when captured, written since: an add that finds a value declines
        client.call("SET", "late-source", "v");
        List<ByteBuf> wasAbsent = capture("late");
        client.call("SET", "late", "arrived");
        assertThat(apply(VERIFICATION.restoreIf(key("late"), capture("late-source"), wasAbsent, ByteBufAllocator.DEFAULT)))
                .isEqualTo(RepairOutcome.DECLINED);
        assertThat(client.call("GET", "late")).isEqualTo("arrived");
    }

    @Test
    void theScrubReadsTheWholeValueByType() {
        client.call("RPUSH", "l", "a", "b");
        client.call("SADD", "s", "x");
        client.call("ZADD", "z", "1", "m");
        client.call("XADD", "x", "1-1", "f", "v");
        client.call("SET", "str", "v");
        client.call("HSET", "h", "f", "v");
        String[][] expected = {{"l", "LRANGE"}, {"s", "SMEMBERS"}, {"z", "ZRANGE"}, {"x", "XRANGE"}, {"str", "GET"}, {"h", "HGETALL"}};
        for (String[] row : expected) {
            ByteBuf type = Unpooled.copiedBuffer(send(VERIFICATION.scrubProbe(key(row[0]), ByteBufAllocator.DEFAULT)),
                    StandardCharsets.US_ASCII);
            Command read = VERIFICATION.scrubRead(key(row[0]), type, ByteBufAllocator.DEFAULT);
            assertThat(read.name()).isEqualTo(row[1]);
            assertThat(VERIFICATION.verifiable(read)).as(row[1]).isTrue();
            assertThat(send(read)).doesNotStartWith("-");
        }
        ByteBuf none = Unpooled.copiedBuffer(send(VERIFICATION.scrubProbe(key("absent"), ByteBufAllocator.DEFAULT)),
                StandardCharsets.US_ASCII);
        assertThat(VERIFICATION.scrubRead(key("absent"), none, ByteBufAllocator.DEFAULT)).isNull();
    }
}
