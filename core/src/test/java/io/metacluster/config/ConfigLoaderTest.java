package io.metacluster.config;

import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadStrategy;
import io.metacluster.testing.StubProtocol;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    /** Only its name matters here: the loader checks that the protocol a listener names exists. */
    static final Protocol REDIS = StubProtocol.named("redis");

    record Tuning(int weight) {
    }

    static final ReadStrategy<Tuning> LOCALITY = new ReadStrategy<>() {
        @Override
        public String name() {
            return "locality";
        }

        @Override
        public Class<Tuning> configType() {
            return Tuning.class;
        }

        @Override
        public ReadSelector create(Tuning config) {
            return (command, candidates) -> null;
        }
    };

    private static final PluginHost PLUGINS = PluginHost.of(REDIS, LOCALITY);

    private static final String GOOD = """
            io-threads: 2
            backend:
              request-timeout-ms: 2000
            listeners:
              - name: sessions
                protocol: redis
                bind: 127.0.0.1:6380
                clusters: [a, b]
                read: { strategy: locality, weight: 3 }
                write: { policy: quorum }
                limits: { max-pending-per-client: 64 }
            clusters:
              - name: a
                local: true
                nodes: [127.0.0.1:7001]
              - name: b
                nodes: ["[::1]:7002"]
                password: secret
            """;

    private static MetaclusterConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse("test.yaml", yaml, PLUGINS);
    }

    @Test
    void readsAGoodFileIntoRecordsWithDefaults() throws ConfigException {
        MetaclusterConfig config = parse(GOOD);
        assertThat(config.ioThreads()).isEqualTo(2);
        assertThat(config.backend().requestTimeoutMs()).isEqualTo(2000);
        assertThat(config.backend().connectTimeoutMs()).isEqualTo(1000);
        ListenerConfig listener = config.listeners().get(0);
        assertThat(listener.bind()).isEqualTo(new HostPort("127.0.0.1", 6380));
        assertThat(listener.clusters()).containsExactly("a", "b");
        assertThat(listener.limits().maxPendingPerClient()).isEqualTo(64);
        assertThat(listener.limits().maxFrameBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(ConfigLoader.convert(LOCALITY, listener.read(), ConfigLoader.READ_KEY)).isEqualTo(new Tuning(3));
        assertThat(config.cluster("b").nodes()).containsExactly(new HostPort("::1", 7002));
        assertThat(config.cluster("b").toString()).doesNotContain("secret");
    }

    private static void assertRefused(String yaml, String expected) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(expected);
    }

    @Test
    void unknownKeyNamesLineFieldAndKnownFields() {
        assertRefused(GOOD.replace("    bind: 127.0.0.1:6380", "    bind: 127.0.0.1:6380\n    binds: 1"),
                "test.yaml:8: listeners[0].binds: unknown field 'binds'; known fields: auth, bind, clusters, limits, miss-failover, name, protocol, protocol-options, read, tls, verify, write");
    }

    @Test
    void missingCluster() {
        assertRefused(GOOD.replace("clusters: [a, b]", "clusters: [a, c]"),
                "test.yaml:8: listeners[0].clusters[1]: no cluster is named 'c'; defined: a, b");
    }

    @Test
    void duplicatePorts() {
        String twoListeners = GOOD.replace("clusters:\n  - name: a", """
                  - name: other
                    protocol: redis
                    bind: 127.0.0.1:6380
                    clusters: [b]
                clusters:
                  - name: a""");
        assertRefused(twoListeners, "test.yaml:14: listeners[1].bind: 127.0.0.1:6380 is already used by listener 'sessions'");
    }

    @Test
    void badHostPort() {
        assertRefused(GOOD.replace("nodes: [127.0.0.1:7001]", "nodes: [127.0.0.1:70001]"),
                "test.yaml:15: clusters[0].nodes[0]: port of '127.0.0.1:70001' is out of range 1-65535");
        assertRefused(GOOD.replace("bind: 127.0.0.1:6380", "bind: localhost"),
                "test.yaml:7: listeners[0].bind: expected host:port, got 'localhost'");
    }

    @Test
    void unknownProtocolAndStrategyListWhatExists() {
        assertRefused(GOOD.replace("protocol: redis", "protocol: mongo"),
                "test.yaml:6: listeners[0].protocol: no protocol is named 'mongo'; available: redis");
        assertRefused(GOOD.replace("strategy: locality", "strategy: nearest"),
                "test.yaml:9: listeners[0].read.strategy: no read strategy is named 'nearest'; available: locality");
        assertRefused(GOOD.replace("policy: quorum", "policy: most"),
                "test.yaml:10: listeners[0].write.policy: no write policy is named 'most'; available: all, first, local, quorum");
    }

    @Test
    void unknownKeyInsideAStrategyBlock() {
        assertRefused(GOOD.replace("weight: 3", "weigth: 3"),
                "test.yaml:9: listeners[0].read.weigth: unknown field 'weigth'; known fields: weight");
    }

    @Test
    void localPolicyNeedsALocalCluster() {
        assertRefused(GOOD.replace("policy: quorum", "policy: local").replace("local: true", "local: false"),
                "test.yaml:10: listeners[0].write.policy: write policy 'local' needs a cluster marked local: true");
    }

    @Test
    void singleTopologyTakesOneNode() {
        assertRefused(GOOD.replace("nodes: [127.0.0.1:7001]", "nodes: [127.0.0.1:7001, 127.0.0.1:7003]"),
                "test.yaml:15: clusters[0].nodes: topology 'single' takes exactly one node, got 2");
    }

    @Test
    void hashRingTakesSeveralNodesAndAHashTag() throws ConfigException {
        String ring = GOOD.replace("nodes: [127.0.0.1:7001]",
                "topology: hash-ring\n    topology-options: { hash-tag: \"{}\" }\n    nodes: [127.0.0.1:7001, 127.0.0.1:7003]");
        assertThat(parse(ring).clusters().get(0).topology()).isEqualTo("hash-ring");
        assertRefused(ring.replace("\"{}\"", "\"{\""),
                "test.yaml:16: clusters[0].topology-options: hash-tag must be two characters, like \"{}\"; got \"{\"");
        assertRefused(ring.replace("hash-tag", "hash-tags"),
                "test.yaml:16: clusters[0].topology-options.hash-tags: unknown field 'hash-tags'; known fields: hash-tag");
    }

    @Test
    void brokenYamlAndEmptyFile() {
        assertThatThrownBy(() -> parse("listeners: [\n")).hasMessageStartingWith("test.yaml:").hasMessageContaining("while parsing");
        assertRefused("", "test.yaml:1: the file is empty");
        assertRefused("listeners: []\nclusters: []\n", "test.yaml:2: clusters: at least one cluster is needed");
    }

    @Test
    void duplicateKeysAreRefused() {
        assertThatThrownBy(() -> parse(GOOD.replace("io-threads: 2", "io-threads: 2\nio-threads: 3")))
                .hasMessage("test.yaml:2: not valid YAML: Duplicate field 'io-threads'");
    }

    @Test
    void environmentVariablesAreInterpolated() throws ConfigException {
        var env = java.util.Map.of("REDIS_PASSWORD", "s3cret");
        assertThat(ConfigLoader.interpolate("f", "password: ${REDIS_PASSWORD}\nuser: ${USER_X:-app}\ncost: $$5", env))
                .isEqualTo("password: s3cret\nuser: app\ncost: $5");
        assertThatThrownBy(() -> ConfigLoader.interpolate("f", "a: 1\npassword: ${NOPE}", env))
                .hasMessage("f:2: environment variable NOPE is not set (write ${NOPE:-default} for a fallback)");
    }
}
