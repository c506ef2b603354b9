package io.metacluster.engine;

import io.metacluster.config.ClusterTls;
import io.metacluster.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.io.File;
import java.io.UncheckedIOException;

/** Netty TLS contexts built from the config's PEM files; one per listener and per cluster. */
final class Tls {
    private Tls() {
    }

    /** For a listener, or {@code null} without TLS. */
    static SslContext server(TlsConfig config) {
        if (config == null || !config.enabled()) {
            return null;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(new File(config.cert()), new File(config.key()));
            if (config.ca() != null) {
                builder.trustManager(new File(config.ca())).clientAuth(ClientAuth.REQUIRE);
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new UncheckedIOException(new SSLException("TLS files " + config.cert() + ", " + config.key()
                    + " are not usable: " + e.getMessage(), e));
        }
    }

    /** For a cluster's connections, or {@code null} without TLS. */
    static SslContext client(TlsConfig config) {
        return ClusterTls.context(config);
    }

    static SslHandler clientHandler(SslContext context, TlsConfig config, ByteBufAllocator alloc, String host, int port) {
        SslHandler handler = context.newHandler(alloc, host, port);
        if (config.verifyHostname()) {
            SSLParameters parameters = handler.engine().getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            handler.engine().setSSLParameters(parameters);
        }
        return handler;
    }
}
