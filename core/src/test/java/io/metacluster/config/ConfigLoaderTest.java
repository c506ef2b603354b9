package io.metacluster.config;

import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.ClusterView;
import io.metacluster.spi.Command;
import io.metacluster.spi.InvalidConfigException;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadStrategy;
import io.metacluster.spi.ReadVerifier;
import io.metacluster.spi.Topology;
import io.metacluster.spi.TopologyFactory;
import io.metacluster.spi.VerifyContext;
import io.metacluster.spi.VerifyStrategy;
import io.metacluster.spi.WritePolicy.Verdict;
import io.metacluster.spi.WriteTally;
import io.metacluster.testing.StubProtocol;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    /** Only its name matters here: the loader checks that the protocol a listener names exists. */
    static final Protocol REDIS = StubProtocol.named("redis");

    /** Counts the conversions of every {@code read: { strategy: locality }} block. */
    static final AtomicInteger TUNINGS = new AtomicInteger();

    record Tuning(int weight) {
        Tuning {
            TUNINGS.incrementAndGet();
        }
    }

    /** A selector that shows what it was made from. */
    record MadeFrom(Object config) implements ReadSelector {
        @Override
        public ClusterView select(Command command, List<? extends ClusterView> candidates) {
            return null;
        }
    }

    /** A check of a strategy's config against the listener's clusters, as {@link ReadStrategy#validate}. */
    interface Check<C> {
        void check(C config, List<? extends ClusterView> clusters) throws InvalidConfigException;
    }

    /** A read strategy for these tests, made of its parts. */
    record TestReadStrategy<C>(String name, Class<C> configType, Check<C> check, Function<C, ReadSelector> maker)
            implements ReadStrategy<C> {
        @Override
        public void validate(C config, List<? extends ClusterView> clusters) throws InvalidConfigException {
            check.check(config, clusters);
        }

        @Override
        public ReadSelector create(C config) {
            return maker.apply(config);
        }
    }

    static final AtomicInteger LOCALITY_CREATED = new AtomicInteger();

    static final ReadStrategy<Tuning> LOCALITY = new TestReadStrategy<>("locality", Tuning.class, (config, clusters) -> { },
            config -> {
                LOCALITY_CREATED.incrementAndGet();
                return new MadeFrom(config);
            });

    record Pin(String cluster) {
    }

    /** A plugin's read strategy that names one of the listener's clusters: only its validation can tell a typo. */
    static final ReadStrategy<Pin> PINNED = new TestReadStrategy<>("pinned", Pin.class, (config, clusters) -> {
        if (clusters.stream().noneMatch(c -> c.name().equals(config.cluster()))) {
            throw new InvalidConfigException("cluster", "'" + config.cluster() + "' is not one of the listener's clusters: "
                    + String.join(", ", clusters.stream().map(ClusterView::name).toList()));
        }
    }, MadeFrom::new);

    /** A plugin whose create() fails, e.g. for a resource it cannot get. */
    static final ReadStrategy<NoConfig> BROKEN = new TestReadStrategy<>("broken", NoConfig.class, (config, clusters) -> { },
            config -> {
                throw new IllegalStateException("no licence for strategy 'broken'");
            });

    /** The context {@link #MIRROR} was last made with. */
    static final java.util.concurrent.atomic.AtomicReference<VerifyContext> MIRROR_CONTEXT = new java.util.concurrent.atomic.AtomicReference<>();

    /** A verify strategy that needs two clusters to compare; with a context of one listener only, it cannot make its verifier. */
    static final VerifyStrategy<NoConfig> MIRROR = new VerifyStrategy<>() {
        @Override
        public String name() {
            return "mirror";
        }

        @Override
        public Class<NoConfig> configType() {
            return NoConfig.class;
        }

        @Override
        public void validate(NoConfig config, List<? extends ClusterView> clusters) throws InvalidConfigException {
            if (clusters.size() < 2) {
                throw new InvalidConfigException("needs two clusters to compare, got " + clusters.size());
            }
        }

        @Override
        public ReadVerifier create(NoConfig config, VerifyContext context) {
            MIRROR_CONTEXT.set(context);
            if (context.listener().equals("unlicensed")) {
                throw new IllegalStateException("no licence for listener " + context.listener());
            }
            if (context.listener().equals("late") && !(context instanceof CheckingVerifyContext)) {
                throw new IllegalStateException("only while checking");
            }
            return ReadVerifier.NONE;
        }
    };

    /** A topology that only maps a local cluster: its validation sees the one cluster it maps. */
    static final TopologyFactory<NoConfig> LOCAL_ONLY = new TopologyFactory<>() {
        @Override
        public String name() {
            return "local-only";
        }

        @Override
        public Class<NoConfig> configType() {
            return NoConfig.class;
        }

        @Override
        public void validate(NoConfig config, List<? extends ClusterView> clusters) throws InvalidConfigException {
            if (clusters.size() != 1 || !clusters.get(0).local()) {
                throw new InvalidConfigException("cluster " + clusters.get(0).name() + " is not local");
            }
        }

        @Override
        public Topology create(NoConfig config, List<String> nodes) {
            return command -> 0;
        }
    };

    private static final PluginHost PLUGINS = PluginHost.of(REDIS, LOCALITY);
    /** With the test plugins too (apart, so that the lists of what exists stay short). */
    private static final PluginHost EXTENDED = PluginHost.of(REDIS, LOCALITY, PINNED, BROKEN, MIRROR, LOCAL_ONLY);

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

    private static Plan parse(String yaml) throws ConfigException {
        return ConfigLoader.parse("test.yaml", yaml, PLUGINS);
    }

    private static Plan parseExtended(String yaml) throws ConfigException {
        return ConfigLoader.parse("test.yaml", yaml, EXTENDED);
    }

    record Tally(int clusters, int succeeded, int failed, int localClusters, int localSucceeded, int localFailed)
            implements WriteTally {
    }

    /** A write answered by {@code succeeded} of {@code clusters} clusters, none of them local. */
    private static WriteTally succeeded(int succeeded, int clusters) {
        return new Tally(clusters, succeeded, 0, 0, 0, 0);
    }

    @Test
    void readsAGoodFileIntoAPlanWithDefaults() throws ConfigException {
        Plan plan = parse(GOOD);
        assertThat(plan.ioThreads()).isEqualTo(2);
        assertThat(plan.backend().requestTimeoutMs()).isEqualTo(2000);
        assertThat(plan.backend().connectTimeoutMs()).isEqualTo(1000);
        ListenerPlan listener = plan.listeners().get(0);
        assertThat(listener.protocol()).isSameAs(REDIS);
        assertThat(listener.bind()).isEqualTo(new HostPort("127.0.0.1", 6380));
        assertThat(listener.clusters()).containsExactly("a", "b");
        assertThat(listener.limits().maxPendingPerClient()).isEqualTo(64);
        assertThat(listener.limits().maxFrameBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(listener.read()).isEqualTo(new MadeFrom(new Tuning(3)));
        assertThat(listener.write().judge(succeeded(1, 2))).as("quorum of 2").isEqualTo(Verdict.PENDING);
        assertThat(listener.write().judge(succeeded(2, 2))).isEqualTo(Verdict.SUCCEEDED);
        ClusterPlan b = plan.clusters().get(1);
        assertThat(b.name()).isEqualTo("b");
        assertThat(b.nodes()).containsExactly(new HostPort("::1", 7002));
        assertThat(b.protocol()).isSameAs(REDIS);
        assertThat(b.toString()).doesNotContain("secret");
    }

    @Test
    void strategyBlocksAreConvertedAndCreatedOnce() throws ConfigException {
        TUNINGS.set(0);
        LOCALITY_CREATED.set(0);
        parse(GOOD);
        assertThat(TUNINGS).hasValue(1);
        assertThat(LOCALITY_CREATED).hasValue(1);
    }

    @Test
    void absentBlocksTakeTheirDefaults() throws ConfigException {
        String bare = GOOD.replace("    read: { strategy: locality, weight: 3 }\n", "").replace("    write: { policy: quorum }\n", "")
                .replace("    limits: { max-pending-per-client: 64 }\n", "");
        ListenerPlan listener = parse(bare).listeners().get(0);
        assertThat(listener.read()).as("locality, with its config's defaults").isEqualTo(new MadeFrom(new Tuning(0)));
        assertThat(listener.write().judge(succeeded(1, 2))).as("first").isEqualTo(Verdict.SUCCEEDED);
        assertThat(listener.verify().strategy().name()).isEqualTo("none");
        assertThat(listener.limits()).isEqualTo(LimitsConfig.DEFAULTS);
        assertThat(listener.limits().maxPendingPerClient()).isEqualTo(1024);
        assertThat(listener.limits().maxClients()).isEqualTo(10_000);
        assertThat(listener.protocolOptions()).isEqualTo(new NoConfig());
    }

    private static void assertRefused(String yaml, String expected) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(expected);
    }

    private static void assertRefusedExtended(String yaml, String expected) {
        assertThatThrownBy(() -> parseExtended(yaml)).isInstanceOf(ConfigException.class).hasMessage(expected);
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
    void localPolicyNeedsALocalCluster() throws ConfigException {
        assertRefused(GOOD.replace("policy: quorum", "policy: local").replace("local: true", "local: false"),
                "test.yaml:10: listeners[0].write.policy: write policy 'local' needs a cluster marked local: true");
        assertThat(parse(GOOD.replace("policy: quorum", "policy: local")).listeners().get(0).write()).isNotNull();
    }

    @Test
    void aStrategysValidationSeesTheListenersClusters() throws ConfigException {
        assertRefusedExtended(GOOD.replace("strategy: locality, weight: 3", "strategy: pinned, cluster: westt"),
                "test.yaml:9: listeners[0].read.cluster: 'westt' is not one of the listener's clusters: a, b");
        String blockStyle = GOOD.replace("read: { strategy: locality, weight: 3 }", "read:\n      strategy: pinned\n      cluster: c");
        assertRefusedExtended(blockStyle, "test.yaml:11: listeners[0].read.cluster: 'c' is not one of the listener's clusters: a, b");
        assertThat(parseExtended(GOOD.replace("strategy: locality, weight: 3", "strategy: pinned, cluster: b")).listeners().get(0).read())
                .isEqualTo(new MadeFrom(new Pin("b")));
    }

    @Test
    void aVerifyStrategyIsValidatedAndMadeWhileCheckingWithAContextThatRunsNothing() throws ConfigException {
        String mirrored = GOOD.replace("    write: { policy: quorum }", "    write: { policy: quorum }\n    verify: { strategy: mirror }");
        assertThat(parseExtended(mirrored).listeners().get(0).verify().strategy()).isSameAs(MIRROR);
        VerifyContext checking = MIRROR_CONTEXT.get();
        assertThat(checking.listener()).isEqualTo("sessions");
        assertThat(checking.protocol()).isSameAs(REDIS);
        assertThat(checking.clusters()).extracting(ClusterView::name).containsExactly("a", "b");
        assertThat(checking.clusters()).noneMatch(ClusterView::healthy);
        assertThat(checking.metrics().counter("sampled").count()).isZero();
        assertThatThrownBy(() -> checking.schedule(() -> { }, 1, () -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the config is being checked");
        assertRefusedExtended(mirrored.replace("clusters: [a, b]", "clusters: [a]"),
                "test.yaml:11: listeners[0].verify.strategy: needs two clusters to compare, got 1");
    }

    @Test
    void aVerifyStrategyWhoseCreateThrowsIsRefusedWithItsLine() {
        String mirrored = GOOD.replace("    write: { policy: quorum }", "    write: { policy: quorum }\n    verify: { strategy: mirror }");
        assertRefusedExtended(mirrored.replace("name: sessions", "name: unlicensed"),
                "test.yaml:11: listeners[0].verify.strategy: no licence for listener unlicensed");
    }

    @Test
    void aVerifyStrategyWhoseCreateThrowsOnlyAfterTheCheckIsRefusedThenWithTheSameLine() throws ConfigException {
        String mirrored = GOOD.replace("    write: { policy: quorum }", "    write: { policy: quorum }\n    verify: { strategy: mirror }")
                .replace("name: sessions", "name: late");
        ListenerPlan.Verify verify = parseExtended(mirrored).listeners().get(0).verify();
        VerifyContext checking = MIRROR_CONTEXT.get();
        // the same answers from another object: the engine's context at start, as far as the strategy can tell
        VerifyContext running = (VerifyContext) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{VerifyContext.class}, (proxy, method, args) -> method.invoke(checking, args));
        assertThatThrownBy(() -> verify.create(running)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("test.yaml:11: listeners[0].verify.strategy: the verify strategy ")
                .hasMessageEndingWith(" (built in) failed in create() for listener late with the running engine: only while checking")
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTopologysValidationSeesItsCluster() throws ConfigException {
        String localOnly = GOOD.replace("nodes: [127.0.0.1:7001]", "topology: local-only\n    nodes: [127.0.0.1:7001]");
        assertThat(parseExtended(localOnly).clusters().get(0).topology()).isNotNull();
        assertRefusedExtended(localOnly.replace("local: true", "local: false"),
                "test.yaml:15: clusters[0].topology: cluster a is not local");
    }

    @Test
    void aStrategyWhoseCreateThrowsIsRefusedWithItsLine() {
        assertRefusedExtended(GOOD.replace("strategy: locality, weight: 3", "strategy: broken"),
                "test.yaml:9: listeners[0].read.strategy: no licence for strategy 'broken'");
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
        assertThat(parse(ring).clusters().get(0).topology().getClass().getSimpleName()).isEqualTo("HashRing");
        assertRefused(ring.replace("\"{}\"", "\"{\""),
                "test.yaml:16: clusters[0].topology-options: hash-tag must be two characters, like \"{}\"; got \"{\"");
        assertRefused(ring.replace("hash-tag", "hash-tags"),
                "test.yaml:16: clusters[0].topology-options.hash-tags: unknown field 'hash-tags'; known fields: hash-tag");
    }

    @Test
    void onNodeDownIsFailoverClusterByDefaultAndEjectNeedsARing() throws ConfigException {
        String ring = GOOD.replace("nodes: [127.0.0.1:7001]",
                "topology: hash-ring\n    nodes: [127.0.0.1:7001, 127.0.0.1:7003]");
        assertThat(parse(ring).clusters().get(0).onNodeDown()).isEqualTo(ClusterPlan.OnNodeDown.FAILOVER_CLUSTER);
        String ejecting = ring.replace("topology: hash-ring", "topology: hash-ring\n    on-node-down: eject");
        assertThat(parse(ejecting).clusters().get(0).ejects()).isTrue();
        assertRefused(GOOD.replace("nodes: [127.0.0.1:7001]", "on-node-down: eject\n    nodes: [127.0.0.1:7001]"),
                "test.yaml:15: clusters[0].on-node-down: 'eject' needs at least two nodes to place a down node's keys on;"
                        + " cluster 'a' has one");
        assertThatThrownBy(() -> parse(ejecting.replace("on-node-down: eject", "on-node-down: drop")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("clusters[0].on-node-down")
                .hasMessageContaining("failover-cluster").hasMessageContaining("eject");
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

    @Test
    void adminBlockIsOptionalAndBound() throws ConfigException {
        assertThat(parse(GOOD).admin()).isNull();
        Plan plan = parse("admin: { bind: 127.0.0.1:9121, token: t0k }\n" + GOOD);
        assertThat(plan.admin().bind()).isEqualTo(new HostPort("127.0.0.1", 9121));
        assertThat(plan.admin().token()).isEqualTo("t0k");
        assertThat(plan.admin().toString()).doesNotContain("t0k");
        assertThat(parse("admin: { bind: 127.0.0.1:9121 }\n" + GOOD).admin().token()).isNull();
    }

    @Test
    void adminBlockIsCheckedWithItsLine() {
        assertRefused("admin: { token: x }\n" + GOOD, "test.yaml:1: admin.bind: missing; e.g. 127.0.0.1:9121");
        assertRefused("admin:\n  bind: 127.0.0.1:6380\n" + GOOD,
                "test.yaml:2: admin.bind: 127.0.0.1:6380 is already used by listener 'sessions'");
        assertRefused("admin:\n  bind: 127.0.0.1:9121\n  token: \"\"\n" + GOOD,
                "test.yaml:3: admin.token: empty; leave the key out for no token");
        assertRefused("admin:\n  bind: nowhere\n" + GOOD, "test.yaml:2: admin.bind: expected host:port, got 'nowhere'");
        assertRefused("admin:\n  bind: 127.0.0.1:9121\n  port: 1\n" + GOOD,
                "test.yaml:3: admin.port: unknown field 'port'; known fields: bind, token");
    }

    @Test
    void theShownConfigHasItsSecretsRedacted() throws ConfigException {
        String yaml = "admin: { bind: 127.0.0.1:9121, token: t0k3n }\n" + GOOD.replace("    limits:",
                "    auth: { password: p4ss, users: [{ name: app, password: us3r }] }\n    limits:");
        String shown = parse(yaml).shown();
        assertThat(shown).doesNotContain("t0k3n", "p4ss", "us3r", "secret")
                .contains("\"token\" : \"<redacted>\"", "\"password\" : \"<redacted>\"", "\"name\" : \"app\"",
                        "\"bind\" : \"127.0.0.1:9121\"", "\"request-timeout-ms\" : 2000", "\"connect-timeout-ms\" : 1000");
    }
}
