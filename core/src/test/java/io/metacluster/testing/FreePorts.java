package io.metacluster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on 127.0.0.1, found by letting the kernel pick one. A port is only known to
 * have been free at the time of the call; callers that bind it later may lose a race with
 * another process, which is rare enough for tests (the server helpers retry once).
 */
public final class FreePorts {
    private FreePorts() {
    }

    /** One free loopback port. */
    public static int find() {
        return find(1)[0];
    }

    /** {@code count} distinct free loopback ports. */
    public static int[] find(int count) {
        // Hold every socket open until all are found so the kernel cannot hand out one twice.
        List<ServerSocket> sockets = new ArrayList<>(count);
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a listening socket we own cannot meaningfully fail
                }
            }
        }
    }
}
