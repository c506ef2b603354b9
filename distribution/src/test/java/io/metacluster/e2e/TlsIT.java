package io.metacluster.e2e;

import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS from clients to a listener and from the daemon to a cluster, with certificates made by the test. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsIT {
    @TempDir
    static Path dir;
    static RedisServer tlsBackend;
    static RedisServer plainBackend;
    static int tlsBackendPort;
    static Daemon daemon;
    static int port;
    static int mutualPort;

    @BeforeAll
    static void start() throws Exception {
        makeCertificates(dir);
        tlsBackendPort = FreePorts.find();
        tlsBackend = RedisServer.start("--tls-port", String.valueOf(tlsBackendPort),
                "--tls-cert-file", dir.resolve("server.crt").toString(), "--tls-key-file", dir.resolve("server.key").toString(),
                "--tls-ca-cert-file", dir.resolve("ca.crt").toString(), "--tls-auth-clients", "no");
        plainBackend = RedisServer.start();
        port = FreePorts.find();
        mutualPort = FreePorts.find();
        daemon = Daemon.start("""
                listeners:
                  - name: tls
                    protocol: redis
                    bind: 127.0.0.1:%1$d
                    clusters: [secure, plain]
                    tls: { cert: "%3$s/server.crt", key: "%3$s/server.key" }
                  - name: mutual
                    protocol: redis
                    bind: 127.0.0.1:%2$d
                    clusters: [secure, plain]
                    tls: { cert: "%3$s/server.crt", key: "%3$s/server.key", ca: "%3$s/ca.crt" }
                clusters:
                  - name: secure
                    local: true
                    nodes: [127.0.0.1:%4$d]
                    tls: { ca: "%3$s/ca.crt" }
                  - name: plain
                    nodes: [%5$s]
                """.formatted(port, mutualPort, dir, tlsBackendPort, plainBackend.address()));
    }

    @AfterAll
    static void stop() {
        daemon.close();
        tlsBackend.close();
        plainBackend.close();
    }

    private static void openssl(Path dir, String... args) throws Exception {
        Process process = new ProcessBuilder(List.of(args)).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(output).isZero();
    }

    static void makeCertificates(Path dir) throws Exception {
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                "-days", "2", "-subj", "/CN=metacluster test CA");
        openssl(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost");
        openssl(dir, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
    }

    private static SSLContext trusting(Path ca) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(ca)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static Jedis tlsClient(int port) throws Exception {
        return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder()
                .ssl(true).sslSocketFactory(trusting(dir.resolve("ca.crt")).getSocketFactory()).timeoutMillis(5000).build());
    }

    @Test
    void clientsTalkTlsToTheListenerAndTheDaemonTalksTlsToTheCluster() throws Exception {
        try (Jedis client = tlsClient(port)) {
            assertThat(client.set("secret", "value")).isEqualTo("OK");
            assertThat(client.get("secret")).isEqualTo("value");
        }
        try (Jedis direct = new Jedis("127.0.0.1", tlsBackend.port()); Jedis other = new Jedis("127.0.0.1", plainBackend.port())) {
            assertThat(direct.get("secret")).isEqualTo("value");
            assertThat(other.get("secret")).isEqualTo("value");
        }
        assertThat(daemon.engine.clusterHealth()).containsEntry("secure", true);
    }

    @Test
    void plainTextToATlsListenerGetsNowhere() {
        assertThatThrownBy(() -> {
            try (Jedis plain = new Jedis("127.0.0.1", port, 2000)) {
                plain.ping();
            }
        }).isInstanceOf(Exception.class);
    }

    @Test
    void aMutualTlsListenerRefusesClientsWithoutACertificate() {
        assertThatThrownBy(() -> {
            try (Jedis client = tlsClient(mutualPort)) {
                client.ping();
            }
        }).isInstanceOf(Exception.class);
    }
}
