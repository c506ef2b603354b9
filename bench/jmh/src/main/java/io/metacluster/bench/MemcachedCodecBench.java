package io.metacluster.bench;

import io.metacluster.memcached.MemcachedProtocol;
import io.metacluster.spi.Protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * memcached text protocol: {@code get key} / {@code set key 0 0 N value}; replies
 * {@code VALUE key 0 N value END} / {@code STORED}.
 */
public class MemcachedCodecBench extends CodecBench {

    @Override
    Protocol protocol() {
        return new MemcachedProtocol();
    }

    @Override
    byte[] request(String op, byte[] key, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String k = new String(key, StandardCharsets.US_ASCII);
        if (op.equals("GET")) {
            out.writeBytes(("get " + k + "\r\n").getBytes(StandardCharsets.US_ASCII));
        } else {
            out.writeBytes(("set " + k + " 0 0 " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(value);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    @Override
    byte[] reply(String op, byte[] key, byte[] value) {
        if (op.equals("SET")) {
            return "STORED\r\n".getBytes(StandardCharsets.US_ASCII);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String k = new String(key, StandardCharsets.US_ASCII);
        out.writeBytes(("VALUE " + k + " 0 " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(value);
        out.writeBytes("\r\nEND\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
