package io.metacluster.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny blocking RESP client for tests: talks to a backend directly (to set up or inspect data
 * behind the proxy's back) or to the proxy on the wire, without a client library in between.
 *
 * <p>Replies are decoded as: simple string and bulk string to {@link String} (UTF-8), null to
 * {@code null}, integer to {@link Long}, arrays/sets/pushes to {@link List}, maps to
 * {@link LinkedHashMap}, double to {@link Double}, boolean to {@link Boolean}, big number and
 * verbatim string to {@link String}; an error reply is thrown as {@link ServerError} by
 * {@link #call} and returned by {@link #read}. Blocking; one thread at a time.
 */
public final class RespClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** An error reply ({@code -ERR ...}), without the leading {@code -}. */
    public static final class ServerError extends RuntimeException {
        public ServerError(String message) {
            super(message, null, false, false);
        }
    }

    private RespClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects with a 10 s connect and read timeout. */
    public static RespClient connect(int port) {
        return connect("127.0.0.1", port);
    }

    public static RespClient connect(String host, int port) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            return new RespClient(socket);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new UncheckedIOException("cannot connect to " + host + ":" + port, e);
        }
    }

    /** Sends one command and returns its decoded reply; an error reply throws {@link ServerError}. */
    public Object call(Object... args) {
        send(args);
        Object reply = read();
        if (reply instanceof ServerError error) {
            throw new ServerError(error.getMessage());
        }
        return reply;
    }

    /** Sends one command as a multibulk request, without waiting for the reply (for pipelining). */
    public void send(Object... args) {
        writeRaw(encode(args));
    }

    /** Sends bytes as they are (inline commands, malformed input). */
    public void writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads and decodes one reply; an error reply is returned as a {@link ServerError}. */
    public Object read() {
        try {
            return decode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes of one reply exactly as received, for byte-exact assertions. */
    public String readRaw() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        try {
            skipFrame(copy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return copy.toString(StandardCharsets.UTF_8);
    }

    /** The multibulk encoding of a command; {@code byte[]} arguments are sent as they are. */
    public static byte[] encode(Object... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object arg : args) {
            byte[] bytes = arg instanceof byte[] b ? b : String.valueOf(arg).getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(bytes);
            buf.writeBytes(new byte[]{'\r', '\n'});
        }
        return buf.toByteArray();
    }

    private Object decode() throws IOException {
        int type = readByte();
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
            case '!':
                return new ServerError(type == '-' ? line : new String(readBulk(Integer.parseInt(line)), StandardCharsets.UTF_8));
            case ':':
                return Long.parseLong(line);
            case '(':
                return line;
            case ',':
                return Double.parseDouble(line.replace("inf", "Infinity"));
            case '#':
                return line.equals("t");
            case '_':
                return null;
            case '$':
            case '=': {
                int length = Integer.parseInt(line);
                return length < 0 ? null : new String(readBulk(length), StandardCharsets.UTF_8);
            }
            case '*':
            case '~':
            case '>': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(decode());
                }
                return items;
            }
            case '%':
            case '|': {
                int count = Integer.parseInt(line);
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < count; i++) {
                    map.put(decode(), decode());
                }
                // an attribute describes the reply that follows it; tests want the reply
                return type == '|' ? decode() : map;
            }
            default:
                throw new IOException("not a RESP reply, type byte '" + (char) type + "' then: " + line);
        }
    }

    private void skipFrame(ByteArrayOutputStream copy) throws IOException {
        int type = readByte();
        copy.write(type);
        String line = readLine();
        copy.writeBytes((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        switch (type) {
            case '$', '=', '!' -> {
                int length = Integer.parseInt(line);
                if (length >= 0) {
                    copy.writeBytes(readBulk(length));
                    copy.writeBytes(new byte[]{'\r', '\n'});
                }
            }
            case '*', '~', '>' -> {
                for (int i = Integer.parseInt(line); i > 0; i--) {
                    skipFrame(copy);
                }
            }
            case '%', '|' -> {
                for (int i = 2 * Integer.parseInt(line); i > 0; i--) {
                    skipFrame(copy);
                }
                if (type == '|') {
                    skipFrame(copy);
                }
            }
            default -> {
                // single-line types are complete
            }
        }
    }

    private byte[] readBulk(int length) throws IOException {
        byte[] data = in.readNBytes(length);
        if (data.length < length || readByte() != '\r' || readByte() != '\n') {
            throw new IOException("truncated bulk string");
        }
        return data;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = readByte()) != '\r') {
            line.write(b);
        }
        if (readByte() != '\n') {
            throw new IOException("CR without LF");
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed by " + socket.getRemoteSocketAddress());
        }
        return b;
    }

    /** Whether the peer has closed the connection (reads until EOF or the timeout). */
    public boolean isClosedByPeer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
    }
}
