package io.metacluster.config;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metacluster.plugin.Extensions;
import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.ClusterView;
import io.metacluster.spi.InvalidConfigException;
import io.metacluster.spi.NoConfig;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReadSelector;
import io.metacluster.spi.ReadStrategy;
import io.metacluster.spi.StrategyFactory;
import io.metacluster.spi.Topology;
import io.metacluster.spi.TopologyFactory;
import io.metacluster.spi.VerifyStrategy;
import io.metacluster.spi.WritePolicy;
import io.metacluster.spi.WritePolicyFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static io.metacluster.config.ConfigErrors.path;

/**
 * Turns the bound YAML into a {@link Plan}, in one pass: checks each value, picks each
 * extension by name, converts its block once, lets it {@link StrategyFactory#validate validate}
 * against the clusters it will serve, and makes what can be made before starting (topologies,
 * read selectors, write policies; a verifier too, with a {@link CheckingVerifyContext}, then
 * dropped), so that whatever cannot run is refused here, with its line. A plugin's
 * {@code create} that throws is reported with its plugin and jar.
 */
final class PlanResolver {
    /** A listener block that names an extension: its key, the key that names the extension, and the one used when absent. */
    private enum Block {
        READ("read", "strategy", "locality"),
        WRITE("write", "policy", "first"),
        VERIFY("verify", "strategy", "none");

        final String key;
        final String namingKey;
        final String fallback;

        Block(String key, String namingKey, String fallback) {
            this.key = key;
            this.namingKey = namingKey;
            this.fallback = fallback;
        }

        String nameIn(ObjectNode block) {
            return block == null || !block.hasNonNull(namingKey) ? fallback : block.get(namingKey).asText();
        }
    }

    /** A cluster as extensions see it while the config is checked: configured, not connected. */
    private record ConfiguredCluster(String name, boolean local) implements ClusterView {
        @Override
        public boolean healthy() {
            return false;
        }
    }

    /** An extension picked by name, with its block converted and accepted by its {@code validate}. */
    private record Chosen<F>(F factory, Object config) {
    }

    private final ConfigErrors errors;
    private final PluginHost plugins;

    PlanResolver(ConfigErrors errors, PluginHost plugins) {
        this.errors = errors;
        this.plugins = plugins;
    }

    Plan resolve(MetaclusterConfig config) throws ConfigException {
        if (config.ioThreads() < 0) {
            throw errors.at(List.of("io-threads"), "must be 0 (one per core) or more");
        }
        checkBackend(config.backend());
        if (config.replay().maxEntries() < 1) throw errors.at(List.of("replay", "max-entries"), "must be positive");
        if (config.replay().maxBytes() < 1) throw errors.at(List.of("replay", "max-bytes"), "must be positive");
        if (config.resync().keysPerSecond() < 1) {
            throw errors.at(List.of("resync", "keys-per-second"), "must be positive");
        }
        if (config.clusters().isEmpty()) {
            throw errors.at(List.of("clusters"), "at least one cluster is needed");
        }
        if (config.listeners().isEmpty()) {
            throw errors.at(List.of("listeners"), "at least one listener is needed");
        }
        Map<String, ClusterConfig> clusters = new LinkedHashMap<>();
        Map<String, Topology> topologies = new HashMap<>();
        for (int i = 0; i < config.clusters().size(); i++) {
            ClusterConfig cluster = config.clusters().get(i);
            List<Object> at = List.of("clusters", i);
            checkName(cluster.name(), at);
            if (clusters.put(cluster.name(), cluster) != null) {
                throw errors.at(path(at, "name"), "cluster '" + cluster.name() + "' is defined twice");
            }
            if (cluster.nodes().isEmpty()) {
                throw errors.at(path(at, "nodes"), "cluster '" + cluster.name() + "' has no nodes");
            }
            if (cluster.database() < 0) {
                throw errors.at(path(at, "database"), "must be 0 or more");
            }
            checkTls(cluster.tls(), path(at, "tls"), false);
            topologies.put(cluster.name(), topology(cluster, at));
            checkEjects(cluster, topologies.get(cluster.name()), path(at, "on-node-down"));
        }
        Set<String> listenerNames = new HashSet<>();
        Map<HostPort, String> binds = new HashMap<>();
        Map<String, Protocol> protocolOfCluster = new HashMap<>();
        List<ListenerPlan> listeners = new ArrayList<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig listener = config.listeners().get(i);
            List<Object> at = List.of("listeners", i);
            checkName(listener.name(), at);
            if (!listenerNames.add(listener.name())) {
                throw errors.at(path(at, "name"), "listener '" + listener.name() + "' is defined twice");
            }
            listeners.add(listener(listener, at, clusters, binds, protocolOfCluster));
        }
        List<ClusterPlan> clusterPlans = new ArrayList<>();
        for (ClusterConfig cluster : clusters.values()) {
            Object protocolOptions = listeners.stream().filter(l -> l.clusters().contains(cluster.name())).findFirst()
                    .map(ListenerPlan::protocolOptions).orElse(null);
            Topology topology = topologies.get(cluster.name());
            // a topology that discovers its nodes (redis-cluster) names them itself
            List<HostPort> nodes = topology.discoveredNodes() == null ? cluster.nodes()
                    : topology.discoveredNodes().stream().map(HostPort::parse).toList();
            clusterPlans.add(new ClusterPlan(cluster.name(), cluster.local(), nodes, topology,
                    protocolOfCluster.get(cluster.name()), protocolOptions, cluster.username(), cluster.password(),
                    cluster.database(), cluster.tls(), cluster.onNodeDown()));
        }
        checkAdmin(config.admin(), binds);
        return new Plan(config.ioThreads(), config.backend(), config.replay(), config.resync(), listeners, clusterPlans,
                config.admin(), ShownConfig.of(config));
    }

    /** {@code on-node-down: eject} needs a node to place keys on and a topology that can leave nodes out. */
    private void checkEjects(ClusterConfig cluster, Topology topology, List<Object> at) throws ConfigException {
        if (cluster.onNodeDown() != ClusterPlan.OnNodeDown.EJECT) {
            return;
        }
        if (cluster.nodes().size() < 2) {
            throw errors.at(at, "'eject' needs at least two nodes to place a down node's keys on; cluster '"
                    + cluster.name() + "' has one");
        }
        BitSet first = new BitSet();
        first.set(0);
        if (topology.without(first) == null) {
            throw errors.at(at, "topology '" + cluster.topology() + "' cannot leave a node out; use failover-cluster");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Topology topology(ClusterConfig cluster, List<Object> at) throws ConfigException {
        TopologyFactory<?> factory = need(plugins.topologies(), cluster.topology(), path(at, "topology"));
        Object options = converted(cluster.topologyOptions(), factory.configType(), path(at, "topology-options"));
        validate(factory, options, List.of(new ConfiguredCluster(cluster.name(), cluster.local())), path(at, "topology"),
                path(at, "topology-options"));
        List<String> nodes = cluster.nodes().stream().map(HostPort::toString).toList();
        try {
            return ((TopologyFactory) factory).create(options, nodes,
                    ClusterTls.access(cluster.username(), cluster.password(), cluster.tls()));
        } catch (IllegalArgumentException e) {
            throw errors.at(path(at, "nodes"), failed(plugins.topologies(), factory, e));
        } catch (RuntimeException e) {
            throw errors.at(path(at, "topology"), failed(plugins.topologies(), factory, e));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"}) // each factory takes the config converted to its own configType()
    private ListenerPlan listener(ListenerConfig listener, List<Object> at, Map<String, ClusterConfig> clusters,
                                  Map<HostPort, String> binds, Map<String, Protocol> protocolOfCluster)
            throws ConfigException {
        if (listener.protocol() == null) {
            throw errors.at(path(at, "protocol"), "missing; one of: " + plugins.protocols().available());
        }
        Protocol protocol = need(plugins.protocols(), listener.protocol(), path(at, "protocol"));
        Object protocolOptions = converted(listener.protocolOptions(), protocol.optionsType(), path(at, "protocol-options"));
        if (listener.bind() == null) {
            throw errors.at(path(at, "bind"), "missing; e.g. 127.0.0.1:6380");
        }
        String other = binds.put(listener.bind(), listener.name());
        if (other != null) {
            throw errors.at(path(at, "bind"), listener.bind() + " is already used by listener '" + other + "'");
        }
        if (listener.clusters().isEmpty()) {
            throw errors.at(path(at, "clusters"), "a listener needs at least one cluster");
        }
        if (listener.clusters().size() > 64) {
            throw errors.at(path(at, "clusters"), "at most 64 clusters per listener");
        }
        List<ClusterView> views = new ArrayList<>();
        for (int c = 0; c < listener.clusters().size(); c++) {
            String name = listener.clusters().get(c);
            ClusterConfig cluster = clusters.get(name);
            if (cluster == null) {
                throw errors.at(path(at, "clusters", c), "no cluster is named '" + name + "'; defined: "
                        + String.join(", ", clusters.keySet()));
            }
            if (views.stream().anyMatch(view -> view.name().equals(name))) {
                throw errors.at(path(at, "clusters", c), "cluster '" + name + "' is listed twice");
            }
            Protocol spoken = protocolOfCluster.putIfAbsent(name, protocol);
            if (spoken != null && !spoken.name().equals(protocol.name())) {
                throw errors.at(path(at, "clusters", c), "cluster '" + name + "' is used by a " + spoken.name()
                        + " listener already; a cluster speaks one protocol");
            }
            views.add(new ConfiguredCluster(name, cluster.local()));
        }
        checkLimits(listener.limits(), path(at, "limits"));
        checkTls(listener.tls(), path(at, "tls"), true);
        checkAuth(listener.auth(), path(at, "auth"));
        Chosen<ReadStrategy<?>> read = choose(plugins.readStrategies(), Block.READ, listener.read(), views, at);
        ReadSelector selector = made(plugins.readStrategies(), read.factory(), () -> ((ReadStrategy) read.factory())
                .create(read.config()), path(at, Block.READ.key, Block.READ.namingKey));
        Chosen<WritePolicyFactory<?>> write = choose(plugins.writePolicies(), Block.WRITE, listener.write(), views, at);
        WritePolicy policy = made(plugins.writePolicies(), write.factory(), () -> ((WritePolicyFactory) write.factory())
                .create(write.config()), path(at, Block.WRITE.key, Block.WRITE.namingKey));
        Chosen<VerifyStrategy<?>> verify = choose(plugins.verifyStrategies(), Block.VERIFY, listener.verify(), views, at);
        CheckingVerifyContext checking = new CheckingVerifyContext(listener.name(), protocol, List.copyOf(views));
        List<Object> verifyAt = path(at, Block.VERIFY.key, Block.VERIFY.namingKey);
        made(plugins.verifyStrategies(), verify.factory(), () -> ((VerifyStrategy) verify.factory())
                .create(verify.config(), checking), verifyAt);
        // made again at start with the running engine: what it throws then is refused at the same line
        String verifyRefusal = errors.at(verifyAt, who(plugins.verifyStrategies(), verify.factory())).getMessage();
        return new ListenerPlan(listener.name(), protocol, protocolOptions, listener.bind(), listener.clusters(), selector,
                policy, new ListenerPlan.Verify(verify.factory(), verify.config(), verifyRefusal), listener.limits(),
                listener.tls(), listener.auth(), listener.missFailover(), "read " + described(read) + ", write "
                        + described(write) + ", verify " + described(verify));
    }

    /** For the start-up log: the extension's name, and its settings unless it takes none. */
    private static String described(Chosen<? extends StrategyFactory<?>> chosen) {
        Object config = chosen.config();
        return chosen.factory().name() + (config instanceof NoConfig ? "" : " " + config);
    }

    /** The extension {@code block} names, its block converted and validated against {@code clusters}. */
    private <F extends StrategyFactory<?>> Chosen<F> choose(Extensions<F> kind, Block which, ObjectNode block,
                                                           List<ClusterView> clusters, List<Object> listener)
            throws ConfigException {
        List<Object> at = path(listener, which.key);
        F factory = need(kind, which.nameIn(block), path(at, which.namingKey));
        Object config;
        try {
            config = ConfigLoader.convert(factory, block, which.namingKey);
        } catch (IllegalArgumentException e) {
            throw refusal(e, at);
        }
        validate(factory, config, clusters, path(at, which.namingKey), at);
        return new Chosen<>(factory, config);
    }

    /** Runs the extension's own check; a refusal of the whole block is reported at {@code naming}, of a key below {@code block}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void validate(StrategyFactory<?> factory, Object config, List<? extends ClusterView> clusters, List<Object> naming,
                          List<Object> block) throws ConfigException {
        try {
            ((StrategyFactory) factory).validate(config, clusters);
        } catch (InvalidConfigException e) {
            throw errors.at(e.field() == null ? naming : path(block, e.field()), e.getMessage());
        }
    }

    /** What {@code factory}'s {@code create} makes; what it throws is a refusal of the config at {@code at}. */
    private <T> T made(Extensions<?> kind, Object factory, Supplier<T> create, List<Object> at) throws ConfigException {
        try {
            return create.get();
        } catch (RuntimeException | LinkageError e) { // a LinkageError: a plugin jar that lacks a class it uses
            throw errors.at(at, failed(kind, factory, e));
        }
    }

    /** Why {@code factory}'s {@code create} failed; for a plugin's, with the plugin and jar to look at. */
    private String failed(Extensions<?> kind, Object factory, Throwable e) {
        if (plugins.origin(factory).equals(PluginHost.BUILT_IN)) {
            return reason(e);
        }
        return who(kind, factory) + " failed in create(): " + reason(e);
    }

    /** The extension {@code factory} and where it comes from, for a refusal: its class, and its plugin and jar. */
    private String who(Extensions<?> kind, Object factory) {
        String origin = plugins.origin(factory);
        return "the " + kind.kind() + " " + factory.getClass().getName()
                + (origin.equals(PluginHost.BUILT_IN) ? " (" + origin + ")" : " of " + origin);
    }

    private Object converted(ObjectNode block, Class<?> type, List<Object> at) throws ConfigException {
        try {
            return ConfigLoader.convert(block, type);
        } catch (IllegalArgumentException e) {
            throw refusal(e, at);
        }
    }

    /** A block that did not convert: Jackson's error with the field below {@code at}, or the record's own refusal. */
    private ConfigException refusal(IllegalArgumentException e, List<Object> at) {
        if (e.getCause() instanceof JsonMappingException mapping) {
            return errors.binding(at, mapping);
        }
        return errors.at(at, e.getMessage());
    }

    static String reason(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private void checkBackend(BackendConfig backend) throws ConfigException {
        List<Object> at = List.of("backend");
        if (backend.connectTimeoutMs() < 0) throw errors.at(path(at, "connect-timeout-ms"), "must be positive");
        if (backend.requestTimeoutMs() < 0) throw errors.at(path(at, "request-timeout-ms"), "must be positive");
        if (backend.suspectAfterMs() < 0) throw errors.at(path(at, "suspect-after-ms"), "must be positive");
        if (backend.connectionsPerNode() < 0 || backend.connectionsPerNode() > 64) {
            throw errors.at(path(at, "connections-per-node"), "must be between 1 and 64");
        }
        if (backend.reconnectMinMs() < 0 || backend.reconnectMaxMs() < backend.reconnectMinMs()) {
            throw errors.at(path(at, "reconnect-max-ms"), "must be at least reconnect-min-ms, both positive");
        }
    }

    private void checkTls(TlsConfig tls, List<Object> at, boolean server) throws ConfigException {
        if (tls == null || !tls.enabled()) {
            return;
        }
        if (server && (tls.cert() == null || tls.key() == null)) {
            throw errors.at(at, "a TLS listener needs cert and key (PEM files)");
        }
        if ((tls.cert() == null) != (tls.key() == null)) {
            throw errors.at(path(at, tls.cert() == null ? "cert" : "key"), "cert and key go together");
        }
        for (String field : new String[]{"cert", "key", "ca"}) {
            String file = switch (field) {
                case "cert" -> tls.cert();
                case "key" -> tls.key();
                default -> tls.ca();
            };
            if (file != null && !Files.isReadable(Path.of(file))) {
                throw errors.at(path(at, field), "cannot read " + file);
            }
        }
    }

    private void checkLimits(LimitsConfig limits, List<Object> at) throws ConfigException {
        if (limits.maxFrameBytes() < 1) throw errors.at(path(at, "max-frame-bytes"), "must be positive");
        if (limits.maxElements() < 1) throw errors.at(path(at, "max-elements"), "must be positive");
        if (limits.maxInlineBytes() < 64) throw errors.at(path(at, "max-inline-bytes"), "must be at least 64");
        if (limits.maxPendingPerClient() < 1) throw errors.at(path(at, "max-pending-per-client"), "must be positive");
        if (limits.maxClients() < 1) throw errors.at(path(at, "max-clients"), "must be positive");
        if (limits.maxOutputBytes() < 1) throw errors.at(path(at, "max-output-bytes"), "must be positive");
        if (limits.maxTotalOutputBytes() < 1) throw errors.at(path(at, "max-total-output-bytes"), "must be positive");
        if (limits.idleTimeoutMs() < 0) throw errors.at(path(at, "idle-timeout-ms"), "must be 0 (never) or positive");
    }

    private void checkAdmin(AdminConfig admin, Map<HostPort, String> binds) throws ConfigException {
        if (admin == null) {
            return;
        }
        List<Object> at = List.of("admin");
        if (admin.bind() == null) {
            throw errors.at(path(at, "bind"), "missing; e.g. 127.0.0.1:9121");
        }
        if (binds.containsKey(admin.bind())) {
            throw errors.at(path(at, "bind"), admin.bind() + " is already used by listener '" + binds.get(admin.bind()) + "'");
        }
        if (admin.token() != null && admin.token().isBlank()) {
            // an unset ${ADMIN_TOKEN:-} must not quietly open the endpoint
            throw errors.at(path(at, "token"), "empty; leave the key out for no token");
        }
    }

    private void checkAuth(AuthConfig auth, List<Object> at) throws ConfigException {
        if (auth == null) {
            return;
        }
        if (auth.password() == null && auth.users().isEmpty()) {
            throw errors.at(at, "give a password, users, or both");
        }
        for (int u = 0; u < auth.users().size(); u++) {
            AuthConfig.User user = auth.users().get(u);
            if (user.name() == null || user.name().isEmpty() || user.password() == null) {
                throw errors.at(path(at, "users", u), "a user needs a name and a password");
            }
        }
    }

    private <T> T need(Extensions<T> kind, String name, List<Object> at) throws ConfigException {
        T found = kind.find(name);
        if (found == null) {
            throw errors.at(at, "no " + kind.kind() + " is named '" + name + "'; available: " + kind.available());
        }
        return found;
    }

    private void checkName(String name, List<Object> at) throws ConfigException {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw errors.at(path(at, "name"), "a name of letters, digits, '.', '_' or '-' is needed, got '" + name + "'");
        }
    }
}
