package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * A rough, untimed-by-tests measurement (not JMH): decode rate of pipelined requests and split
 * rate of a large reply. Run: {@code java -cp <test classpath> io.metacluster.redis.DecodeThroughput}.
 */
public final class DecodeThroughput {
    public static void main(String[] args) throws Exception {
        String get = Codecs.mb("GET", "user:12345");
        String set = Codecs.mb("SET", "user:12345", "x".repeat(100));
        ByteBuf batch = PooledByteBufAllocator.DEFAULT.directBuffer();
        for (int i = 0; i < 1000; i++) {
            batch.writeBytes((i % 2 == 0 ? get : set).getBytes(StandardCharsets.US_ASCII));
        }
        RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);
        for (int round = 0; round < 5; round++) {
            long start = System.nanoTime();
            long commands = 0;
            while (System.nanoTime() - start < 1_000_000_000L) {
                batch.readerIndex(0);
                Command c;
                while ((c = codec.decode(batch)) != null) {
                    c.release();
                    commands++;
                }
            }
            System.out.printf("client decode (GET/SET 100B, pipelined): %.1f M commands/s%n", commands / ((System.nanoTime() - start) / 1e9) / 1e6);
        }
        ByteBuf reply = PooledByteBufAllocator.DEFAULT.directBuffer();
        reply.writeBytes("*100000\r\n".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 100_000; i++) {
            reply.writeBytes("$10\r\n0123456789\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        RespSplitter splitter = new RespSplitter();
        for (int round = 0; round < 5; round++) {
            long start = System.nanoTime();
            long frames = 0;
            while (System.nanoTime() - start < 1_000_000_000L) {
                splitter.frameLength(reply);
                frames++;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("reply split (100k-element array, %d KB): %.0f frames/s, %.0f MB/s%n",
                    reply.readableBytes() / 1024, frames / seconds, frames * reply.readableBytes() / seconds / 1e6);
        }
        batch.release();
        reply.release();
    }
}
