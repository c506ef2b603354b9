package io.metacluster.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A real {@code redis-server} on 127.0.0.1 and a free port, without persistence
 * ({@code --save "" --appendonly no}), in its own temp dir. {@link #restart()} keeps the port,
 * so a proxy configured with {@link #address()} finds it again.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {
 *     redis.call("SET", "k", "v");
 * }
 * }</pre>
 *
 * Blocking; for test threads. See {@link ServerProcess} for stop, kill, freeze and thaw.
 */
public final class RedisServer extends ServerProcess {
    /** The binary to run; override with {@code -Dmetacluster.redis-server=/path}. */
    public static final String BINARY = System.getProperty("metacluster.redis-server", "redis-server");

    private final List<String> extraArgs;

    private RedisServer(int port, List<String> extraArgs) {
        super(port, "redis");
        this.extraArgs = extraArgs;
    }

    /**
     * Starts a server and waits until it answers PING.
     *
     * @param extraArgs more {@code --option value} arguments for redis-server
     */
    public static RedisServer start(String... extraArgs) {
        return startOnFreePort(port -> new RedisServer(port, List.of(extraArgs)));
    }

    @Override
    protected List<String> commandLine() {
        List<String> line = new ArrayList<>(Arrays.asList(BINARY,
                "--port", Integer.toString(port()), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir().toString(),
                "--daemonize", "no", "--protected-mode", "no"));
        line.addAll(extraArgs);
        return line;
    }

    @Override
    protected boolean answers(Socket socket) throws IOException {
        socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        String reply = new String(in.readNBytes(7), StandardCharsets.US_ASCII);
        // a server started with --requirepass answers too, with -NOAUTH
        return reply.equals("+PONG\r\n") || reply.startsWith("-NOAUTH");
    }

    /** A new client connection to this server; close it when done. */
    public RespClient client() {
        return RespClient.connect(port());
    }

    /** Runs one command on a fresh connection; an error reply throws {@link RespClient.ServerError}. */
    public Object call(Object... args) {
        try (RespClient client = client()) {
            return client.call(args);
        }
    }
}
