package io.metacluster.bench;

import io.metacluster.redis.RedisProtocol;
import io.metacluster.spi.Protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Redis: RESP arrays {@code GET key} / {@code SET key value}; replies {@code $N value} / {@code +OK}. */
public class RedisCodecBench extends CodecBench {

    @Override
    Protocol protocol() {
        return new RedisProtocol();
    }

    @Override
    byte[] request(String op, byte[] key, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[][] args = op.equals("GET") ? new byte[][] {"GET".getBytes(), key} : new byte[][] {"SET".getBytes(), key, value};
        out.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            out.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(a);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    @Override
    byte[] reply(String op, byte[] key, byte[] value) {
        if (op.equals("SET")) {
            return "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("$" + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(value);
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
