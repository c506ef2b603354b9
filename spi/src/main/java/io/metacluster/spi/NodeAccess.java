package io.metacluster.spi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * How a cluster's nodes are reached, for a topology that talks to them itself
 * ({@link TopologyFactory#create(Object, java.util.List, NodeAccess)}: redis-cluster's map
 * queries), the same way the engine's connections reach them: the cluster's {@code username} and
 * {@code password}, and its {@code tls}. Thread-safe; {@link #connect} blocks (call it off the
 * event loops).
 *
 * @since SPI 0.2.3
 */
public interface NodeAccess {
    /** No credentials, plain TCP. */
    NodeAccess PLAIN = plain(null, null);

    /** The cluster's user, or {@code null}. */
    String username();

    /** The cluster's password, or {@code null} when the nodes want none. */
    String password();

    /** Whether {@link #connect} speaks TLS (a Redis node names other nodes by their TLS port then). */
    boolean tls();

    /**
     * A socket connected to {@code host:port} within {@code timeoutMs}, reads timing out after as
     * long; with {@link #tls}, the handshake done and the node's certificate checked as the
     * engine checks it. The caller closes it.
     */
    Socket connect(String host, int port, int timeoutMs) throws IOException;

    /** Plain TCP with these credentials ({@code null} for none). */
    static NodeAccess plain(String username, String password) {
        return new NodeAccess() {
            @Override
            public String username() {
                return username;
            }

            @Override
            public String password() {
                return password;
            }

            @Override
            public boolean tls() {
                return false;
            }

            @Override
            public Socket connect(String host, int port, int timeoutMs) throws IOException {
                Socket socket = new Socket();
                try {
                    socket.connect(new InetSocketAddress(host, port), timeoutMs);
                    socket.setSoTimeout(timeoutMs);
                    return socket;
                } catch (IOException e) {
                    socket.close();
                    throw e;
                }
            }

            @Override
            public String toString() {
                // keeps the password out of logs and error messages
                return "NodeAccess[username=" + username + ", plain]";
            }
        };
    }
}
