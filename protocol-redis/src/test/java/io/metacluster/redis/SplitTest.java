package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/** MGET and EXISTS split by node over a sharded cluster, and their replies joined. */
class SplitTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    private Command decode(String... words) throws Exception {
        return Codecs.command(codec, words);
    }

    @Test
    void mgetPartsAskForTheirKeysAndTheJoinKeepsKeyOrder() throws Exception {
        Command whole = decode("MGET", "a", "bb", "c", "dd");
        Command first = codec.splitter().part(whole, new int[] {0, 2}, 2);
        Command second = codec.splitter().part(whole, new int[] {1, 3}, 2);
        try {
            assertThat(text(first.frame())).isEqualTo(mb("mget", "a", "c"));
            assertThat(text(second.frame())).isEqualTo(mb("mget", "bb", "dd"));
            assertThat(text(second.key(1))).isEqualTo("dd");
            ByteBuf joined = codec.splitter().join(whole, new ByteBuf[] {buf("*2\r\n$2\r\nva\r\n$-1\r\n"), buf("*2\r\n$3\r\nvbb\r\n$3\r\nvdd\r\n")},
                    new int[][] {{0, 2}, {1, 3}}, ByteBufAllocator.DEFAULT);
            assertThat(text(joined)).isEqualTo("*4\r\n$2\r\nva\r\n$3\r\nvbb\r\n$-1\r\n$3\r\nvdd\r\n");
            joined.release();
        } finally {
            whole.release();
            first.release();
            second.release();
        }
    }

    @Test
    void msetPartsCarryTheirValuesAndDelCountsAreAdded() throws Exception {
        Command mset = decode("MSET", "a", "1", "bb", "22", "c", "");
        Command del = decode("DEL", "a", "bb");
        try {
            Command part = codec.splitter().part(mset, new int[] {1, 2}, 2);
            assertThat(text(part.frame())).isEqualTo(mb("mset", "bb", "22", "c", ""));
            assertThat(part.kind()).isEqualTo(io.metacluster.spi.CommandKind.WRITE);
            assertThat(text(part.key(0))).isEqualTo("bb");
            part.release();
            ByteBuf ok = codec.splitter().join(mset, new ByteBuf[] {buf("+OK\r\n"), buf("+OK\r\n")}, new int[][] {{0}, {1, 2}},
                    ByteBufAllocator.DEFAULT);
            assertThat(text(ok)).isEqualTo("+OK\r\n");
            ok.release();
            ByteBuf deleted = codec.splitter().join(del, new ByteBuf[] {buf(":1\r\n"), buf(":1\r\n")}, new int[][] {{0}, {1}},
                    ByteBufAllocator.DEFAULT);
            assertThat(text(deleted)).isEqualTo(":2\r\n");
            deleted.release();
        } finally {
            mset.release();
            del.release();
        }
    }

    @Test
    void existsCountsAreAddedAndOtherCommandsAreNotSplit() throws Exception {
        Command exists = decode("EXISTS", "a", "b", "a");
        Command sinter = decode("SINTER", "a", "b");
        try {
            Command part = codec.splitter().part(exists, new int[] {1}, 1);
            assertThat(text(part.frame())).isEqualTo(mb("exists", "b"));
            part.release();
            ByteBuf joined = codec.splitter().join(exists, new ByteBuf[] {buf(":2\r\n"), buf(":0\r\n")}, new int[][] {{0, 2}, {1}},
                    ByteBufAllocator.DEFAULT);
            assertThat(text(joined)).isEqualTo(":2\r\n");
            joined.release();
            assertThat(codec.splitter().part(sinter, new int[] {0}, 1)).isNull();
        } finally {
            exists.release();
            sinter.release();
        }
    }
}
