package io.metacluster.config;

/**
 * TLS on a listener (the daemon is the server) or to a cluster's nodes (the daemon is the client).
 * Files are PEM.
 *
 * @param enabled        for a cluster: connect with TLS (a listener's block turns TLS on by being there)
 * @param cert           certificate chain: the listener's own, or the client certificate for a
 *                       cluster that wants one (mutual TLS)
 * @param key            the private key (PKCS#8) of {@code cert}
 * @param ca             certificates to trust: for a listener, clients must present a certificate
 *                       signed by one of them (mutual TLS); for a cluster, the node's certificate
 *                       must be (default: the JVM's trusted roots)
 * @param verifyHostname for a cluster: check that the node's certificate names the host it is
 *                       reached at (default true)
 */
public record TlsConfig(Boolean enabled, String cert, String key, String ca, Boolean verifyHostname) {
    public TlsConfig {
        enabled = enabled == null || enabled;
        verifyHostname = verifyHostname == null || verifyHostname;
    }
}
