package io.metacluster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * A real server process on 127.0.0.1 and a fixed port, for tests: start, wait until it answers,
 * stop gracefully or kill, restart on the same port, freeze and thaw (SIGSTOP/SIGCONT).
 *
 * <p>Methods block (they start and wait for processes); call them from test threads, never from
 * an event loop. Not thread-safe. Every process is also killed by a JVM shutdown hook, so a
 * crashed test run leaves no servers behind.
 */
public abstract class ServerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-test-servers"));
    }

    private final int port;
    private final Path dir;
    private Process process;
    private boolean frozen;

    protected ServerProcess(int port, String name) {
        this.port = port;
        try {
            this.dir = Files.createTempDirectory("metacluster-" + name + "-" + port + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Creates a server on a {@link FreePorts free port} and {@link #launch() launches} it; tries up
     * to three ports, since another process may take the free port between finding and binding it.
     */
    protected static <S extends ServerProcess> S startOnFreePort(IntFunction<S> onPort) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            S server = onPort.apply(FreePorts.find());
            try {
                server.launch();
                return server;
            } catch (IllegalStateException e) {
                server.close();
                last = e;
            }
        }
        throw last;
    }

    /** The command line that runs the server in the foreground on {@link #port()}. */
    protected abstract List<String> commandLine();

    /** Whether the server answers a trivial request on {@code socket} (connected, with a short timeout). */
    protected abstract boolean answers(Socket socket) throws IOException;

    public final int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}, as the config expects it. */
    public final String address() {
        return "127.0.0.1:" + port;
    }

    /** The server's private working directory (its log is {@code server.log} there). */
    public final Path dir() {
        return dir;
    }

    public final boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id, e.g. for a test that sends its own signals. */
    public final long pid() {
        requireRunning();
        return process.pid();
    }

    /** Starts the process and waits until it answers; fails with the server's log on error. */
    protected final void launch() {
        if (isRunning()) {
            throw new IllegalStateException(this + " is already running");
        }
        try {
            Path log = dir.resolve("server.log");
            process = new ProcessBuilder(commandLine())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            LIVE.add(process);
            frozen = false;
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(this + " exited with " + process.exitValue() + ": " + logTail());
                }
                if (probe()) {
                    return;
                }
                Thread.sleep(20);
            }
            kill();
            throw new IllegalStateException(this + " did not answer within " + START_TIMEOUT + ": " + logTail());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + commandLine(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean probe() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            return answers(socket);
        } catch (IOException notYet) {
            return false;
        }
    }

    /** Graceful stop (SIGTERM), waiting for the process to exit; SIGKILL if it does not within 10 s. */
    public final void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        if (frozen) {
            signal("CONT"); // a stopped process only acts on SIGTERM once it runs again
        }
        await(Duration.ofSeconds(10));
    }

    /** Abrupt stop (SIGKILL), as a crashed or unplugged server. */
    public final void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        await(Duration.ofSeconds(10));
    }

    /** Stops the server if it runs, then starts it again on the same port with an empty data set. */
    public final void restart() {
        stop();
        launch();
    }

    /** SIGSTOP: the server keeps its connections open but answers nothing, like a hung host. */
    public final void freeze() {
        requireRunning();
        signal("STOP");
        frozen = true;
    }

    /** SIGCONT after {@link #freeze()}. */
    public final void thaw() {
        requireRunning();
        signal("CONT");
        frozen = false;
    }

    /** Kills the process and deletes its directory. */
    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }

    /** The last lines the server logged, for failure messages. */
    public final String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("server.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LIVE.remove(process);
        frozen = false;
    }

    private void signal(String name) {
        // Java has no API for SIGSTOP/SIGCONT; kill(1) is everywhere the servers are.
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void requireRunning() {
        if (!isRunning()) {
            throw new IllegalStateException(this + " is not running");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + address() + ")";
    }
}
