package io.metacluster.config;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import io.metacluster.spi.NodeAccess;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;

/**
 * TLS to a cluster's nodes from its {@code tls} settings (PEM files): for the engine's
 * connections (Netty) and for the sockets a topology opens itself (its map queries), so both
 * trust and present the same certificates.
 */
public final class ClusterTls {
    private ClusterTls() {
    }

    /** For the engine's connections to a cluster, or {@code null} without TLS. */
    public static SslContext context(TlsConfig config) {
        return config == null || !config.enabled() ? null : build(config, null);
    }

    /** How a topology reaches the nodes itself: these credentials, and TLS as {@code config} says. */
    public static NodeAccess access(String username, String password, TlsConfig config) {
        NodeAccess plain = NodeAccess.plain(username, password);
        if (config == null || !config.enabled()) {
            return plain;
        }
        return new TlsAccess(plain, ((JdkSslContext) build(config, SslProvider.JDK)).context().getSocketFactory(),
                config.verifyHostname());
    }

    /** {@code plain}'s credentials, its sockets wrapped in TLS. */
    private record TlsAccess(NodeAccess plain, SSLSocketFactory sockets, boolean verifyHostname) implements NodeAccess {
        @Override
        public String username() {
            return plain.username();
        }

        @Override
        public String password() {
            return plain.password();
        }

        @Override
        public boolean tls() {
            return true;
        }

        @Override
        public Socket connect(String host, int port, int timeoutMs) throws IOException {
            Socket socket = plain.connect(host, port, timeoutMs);
            try {
                SSLSocket tls = (SSLSocket) sockets.createSocket(socket, host, port, true);
                if (verifyHostname) {
                    SSLParameters parameters = tls.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    tls.setSSLParameters(parameters);
                }
                tls.startHandshake();
                return tls;
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        @Override
        public String toString() {
            // keeps the password out of logs and error messages
            return "NodeAccess[username=" + plain.username() + ", tls]";
        }
    }

    private static SslContext build(TlsConfig config, SslProvider provider) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(provider);
            if (config.ca() != null) {
                builder.trustManager(new File(config.ca()));
            }
            if (config.cert() != null) {
                builder.keyManager(new File(config.cert()), new File(config.key()));
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new UncheckedIOException(new SSLException("TLS settings of a cluster are not usable: " + e.getMessage(), e));
        }
    }
}
