package io.metacluster.e2e;

import io.metacluster.testing.RespClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A raw connection for timing tests: requests as RESP, replies as the bytes received, read within a time. */
final class Wire implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;

    Wire(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void send(String... words) {
        writeRaw(RespClient.encode((Object[]) words));
    }

    void writeRaw(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one request and returns its reply's bytes (one reply that arrives whole within a read or two). */
    String call(String... words) {
        send(words);
        String first = awaitBytes(1, 10_000);
        return first + readFor(100);
    }

    /** Reads until {@code n} bytes came or {@code timeoutMs} passed. */
    String awaitBytes(int n, int timeoutMs) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        byte[] buf = new byte[65536];
        try {
            while (got.size() < n && System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                try {
                    int r = in.read(buf, 0, Math.min(buf.length, n - got.size()));
                    if (r < 0) {
                        break;
                    }
                    got.write(buf, 0, r);
                } catch (SocketTimeoutException e) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    /** Everything that arrives within {@code ms}. */
    String readFor(int ms) {
        return awaitBytes(Integer.MAX_VALUE, ms);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
