package io.metacluster.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.metacluster.plugin.Extensions;
import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.StrategyFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the YAML config into records and checks everything that can be checked before
 * starting: every error names the file, the line and the field.
 */
public final class ConfigLoader {
    /** The strategy block keys that name the extension; the rest of the block is its config. */
    public static final String READ_KEY = "strategy";
    public static final String WRITE_KEY = "policy";
    public static final String VERIFY_KEY = "strategy";

    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final String file;
    private final YamlLocator locator;
    private final PluginHost plugins;

    private ConfigLoader(String file, String text, PluginHost plugins) {
        this.file = file;
        this.locator = new YamlLocator(text);
        this.plugins = plugins;
    }

    public static MetaclusterConfig load(Path path, PluginHost plugins) throws ConfigException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot read the config file: " + e.getMessage());
        }
        return parse(path.toString(), text, plugins);
    }

    public static MetaclusterConfig parse(String file, String text, PluginHost plugins) throws ConfigException {
        if (text.isBlank()) {
            throw new ConfigException(file + ":1: the file is empty");
        }
        text = interpolate(file, text, System.getenv());
        ConfigLoader loader = new ConfigLoader(file, text, plugins);
        MetaclusterConfig config;
        try {
            config = MAPPER.readValue(text, MetaclusterConfig.class);
        } catch (JsonMappingException e) {
            throw loader.bindingError(List.of(), e);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ConfigException(file + ":" + (at == null ? 0 : at.getLineNr()) + ": not valid YAML: " + e.getOriginalMessage());
        }
        if (config == null) {
            throw new ConfigException(file + ":1: the file is empty");
        }
        loader.validate(config);
        return config;
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    /**
     * Replaces {@code ${NAME}} with the environment variable NAME ({@code ${NAME:-fallback}} when
     * it may be unset), so that secrets need not sit in the file; {@code $$} is a literal {@code $}.
     */
    static String interpolate(String file, String text, Map<String, String> environment) throws ConfigException {
        Matcher matcher = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (matcher.find()) {
            String replacement;
            if (matcher.group(1) == null) {
                replacement = "$";
            } else {
                replacement = environment.get(matcher.group(1));
                if (replacement == null) {
                    replacement = matcher.group(2);
                }
                if (replacement == null) {
                    int line = (int) text.substring(0, matcher.start()).chars().filter(c -> c == '\n').count() + 1;
                    throw new ConfigException(file + ":" + line + ": environment variable " + matcher.group(1)
                            + " is not set (write ${" + matcher.group(1) + ":-default} for a fallback)");
                }
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /** Converts a strategy block (less its naming key) into the extension's typed config. */
    public static Object convert(StrategyFactory<?> factory, ObjectNode block, String namingKey) {
        ObjectNode settings = block == null ? MAPPER.createObjectNode() : block.deepCopy();
        settings.remove(namingKey);
        return MAPPER.convertValue(settings, factory.configType());
    }

    /** A listener's {@code protocol-options} as the protocol's typed options. */
    public static Object protocolOptions(Protocol protocol, ObjectNode block) {
        return MAPPER.convertValue(block == null ? MAPPER.createObjectNode() : block, protocol.optionsType());
    }

    /** The name a strategy block gives (e.g. {@code read: { strategy: locality }}), or the default. */
    public static String nameIn(ObjectNode block, String namingKey, String fallback) {
        return block == null || !block.hasNonNull(namingKey) ? fallback : block.get(namingKey).asText();
    }

    private void validate(MetaclusterConfig config) throws ConfigException {
        if (config.ioThreads() < 0) {
            throw error(List.of("io-threads"), "must be 0 (one per core) or more");
        }
        checkBackend(config.backend());
        if (config.replay().maxEntries() < 1) throw error(List.of("replay", "max-entries"), "must be positive");
        if (config.replay().maxBytes() < 1) throw error(List.of("replay", "max-bytes"), "must be positive");
        if (config.clusters().isEmpty()) {
            throw error(List.of("clusters"), "at least one cluster is needed");
        }
        if (config.listeners().isEmpty()) {
            throw error(List.of("listeners"), "at least one listener is needed");
        }
        Map<String, ClusterConfig> clusters = new HashMap<>();
        for (int i = 0; i < config.clusters().size(); i++) {
            ClusterConfig cluster = config.clusters().get(i);
            List<Object> at = List.of("clusters", i);
            checkName(cluster.name(), at);
            if (clusters.put(cluster.name(), cluster) != null) {
                throw error(path(at, "name"), "cluster '" + cluster.name() + "' is defined twice");
            }
            if (cluster.nodes().isEmpty()) {
                throw error(path(at, "nodes"), "cluster '" + cluster.name() + "' has no nodes");
            }
            if (cluster.database() < 0) {
                throw error(path(at, "database"), "must be 0 or more");
            }
            checkTls(cluster.tls(), path(at, "tls"), false);
            var topology = need(plugins.topologies(), cluster.topology(), path(at, "topology"));
            Object options;
            try {
                options = convert(topology, cluster.topologyOptions(), "topology");
            } catch (IllegalArgumentException e) {
                if (e.getCause() instanceof JsonMappingException mapping) {
                    throw bindingError(path(at, "topology-options"), mapping);
                }
                throw error(path(at, "topology-options"), e.getMessage());
            }
            try {
                createTopology(topology, options, cluster);
            } catch (IllegalArgumentException e) {
                throw error(path(at, "nodes"), e.getMessage());
            }
        }
        Set<String> listenerNames = new HashSet<>();
        Map<HostPort, String> binds = new HashMap<>();
        Map<String, String> protocolOfCluster = new HashMap<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig listener = config.listeners().get(i);
            List<Object> at = List.of("listeners", i);
            checkName(listener.name(), at);
            if (!listenerNames.add(listener.name())) {
                throw error(path(at, "name"), "listener '" + listener.name() + "' is defined twice");
            }
            if (listener.protocol() == null) {
                throw error(path(at, "protocol"), "missing; one of: " + plugins.protocols().available());
            }
            Protocol spoken = need(plugins.protocols(), listener.protocol(), path(at, "protocol"));
            try {
                protocolOptions(spoken, listener.protocolOptions());
            } catch (IllegalArgumentException e) {
                if (e.getCause() instanceof JsonMappingException mapping) {
                    throw bindingError(path(at, "protocol-options"), mapping);
                }
                throw error(path(at, "protocol-options"), e.getMessage());
            }
            if (listener.bind() == null) {
                throw error(path(at, "bind"), "missing; e.g. 127.0.0.1:6380");
            }
            String other = binds.put(listener.bind(), listener.name());
            if (other != null) {
                throw error(path(at, "bind"), listener.bind() + " is already used by listener '" + other + "'");
            }
            if (listener.clusters().isEmpty()) {
                throw error(path(at, "clusters"), "a listener needs at least one cluster");
            }
            if (listener.clusters().size() > 64) {
                throw error(path(at, "clusters"), "at most 64 clusters per listener");
            }
            Set<String> seen = new HashSet<>();
            int local = 0;
            for (int c = 0; c < listener.clusters().size(); c++) {
                String name = listener.clusters().get(c);
                ClusterConfig cluster = clusters.get(name);
                if (cluster == null) {
                    throw error(path(at, "clusters", c), "no cluster is named '" + name + "'; defined: "
                            + String.join(", ", clusters.keySet()));
                }
                if (!seen.add(name)) {
                    throw error(path(at, "clusters", c), "cluster '" + name + "' is listed twice");
                }
                String protocol = protocolOfCluster.putIfAbsent(name, listener.protocol());
                if (protocol != null && !protocol.equals(listener.protocol())) {
                    throw error(path(at, "clusters", c), "cluster '" + name + "' is used by a " + protocol
                            + " listener already; a cluster speaks one protocol");
                }
                local += cluster.local() ? 1 : 0;
            }
            checkLimits(listener.limits(), path(at, "limits"));
            checkTls(listener.tls(), path(at, "tls"), true);
            if (listener.auth() != null) {
                AuthConfig auth = listener.auth();
                if (auth.password() == null && auth.users().isEmpty()) {
                    throw error(path(at, "auth"), "give a password, users, or both");
                }
                for (int u = 0; u < auth.users().size(); u++) {
                    AuthConfig.User user = auth.users().get(u);
                    if (user.name() == null || user.name().isEmpty() || user.password() == null) {
                        throw error(path(at, "auth", "users", u), "a user needs a name and a password");
                    }
                }
            }
            checkBlock(plugins.readStrategies(), listener.read(), READ_KEY, "locality", path(at, "read"));
            String policy = checkBlock(plugins.writePolicies(), listener.write(), WRITE_KEY, "first", path(at, "write"));
            if (policy.equals("local") && local == 0) {
                throw error(path(at, "write", WRITE_KEY), "write policy 'local' needs a cluster marked local: true");
            }
            checkBlock(plugins.verifyStrategies(), listener.verify(), VERIFY_KEY, "none", path(at, "verify"));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    /** A cluster's topology, made by {@code factory} from the cluster's {@code topology-options}. */
    public static io.metacluster.spi.Topology createTopology(io.metacluster.spi.TopologyFactory<?> factory, ClusterConfig cluster) {
        return createTopology(factory, convert(factory, cluster.topologyOptions(), "topology"), cluster);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static io.metacluster.spi.Topology createTopology(io.metacluster.spi.TopologyFactory factory, Object options,
                                                             ClusterConfig cluster) {
        return factory.create(options, cluster.nodes().stream().map(HostPort::toString).toList());
    }

    private void checkBackend(BackendConfig backend) throws ConfigException {
        List<Object> at = List.of("backend");
        if (backend.connectTimeoutMs() < 0) throw error(path(at, "connect-timeout-ms"), "must be positive");
        if (backend.requestTimeoutMs() < 0) throw error(path(at, "request-timeout-ms"), "must be positive");
        if (backend.connectionsPerNode() < 0 || backend.connectionsPerNode() > 64) {
            throw error(path(at, "connections-per-node"), "must be between 1 and 64");
        }
        if (backend.reconnectMinMs() < 0 || backend.reconnectMaxMs() < backend.reconnectMinMs()) {
            throw error(path(at, "reconnect-max-ms"), "must be at least reconnect-min-ms, both positive");
        }
    }

    private void checkTls(TlsConfig tls, List<Object> at, boolean server) throws ConfigException {
        if (tls == null || !tls.enabled()) {
            return;
        }
        if (server && (tls.cert() == null || tls.key() == null)) {
            throw error(at, "a TLS listener needs cert and key (PEM files)");
        }
        if ((tls.cert() == null) != (tls.key() == null)) {
            throw error(path(at, tls.cert() == null ? "cert" : "key"), "cert and key go together");
        }
        for (String field : new String[]{"cert", "key", "ca"}) {
            String file = switch (field) {
                case "cert" -> tls.cert();
                case "key" -> tls.key();
                default -> tls.ca();
            };
            if (file != null && !Files.isReadable(Path.of(file))) {
                throw error(path(at, field), "cannot read " + file);
            }
        }
    }

    private void checkLimits(LimitsConfig limits, List<Object> at) throws ConfigException {
        if (limits.maxFrameBytes() < 1) throw error(path(at, "max-frame-bytes"), "must be positive");
        if (limits.maxElements() < 1) throw error(path(at, "max-elements"), "must be positive");
        if (limits.maxInlineBytes() < 64) throw error(path(at, "max-inline-bytes"), "must be at least 64");
        if (limits.maxPendingPerClient() < 1) throw error(path(at, "max-pending-per-client"), "must be positive");
        if (limits.maxClients() < 1) throw error(path(at, "max-clients"), "must be positive");
        if (limits.maxOutputBytes() < 1) throw error(path(at, "max-output-bytes"), "must be positive");
        if (limits.idleTimeoutMs() < 0) throw error(path(at, "idle-timeout-ms"), "must be 0 (never) or positive");
    }

    private <T extends StrategyFactory<?>> String checkBlock(Extensions<T> kind, ObjectNode block, String key,
                                                            String fallback, List<Object> at) throws ConfigException {
        String name = nameIn(block, key, fallback);
        T factory = need(kind, name, path(at, key));
        try {
            convert(factory, block, key);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonMappingException mapping) {
                throw bindingError(at, mapping);
            }
            throw error(at, e.getMessage());
        }
        return name;
    }

    private <T> T need(Extensions<T> kind, String name, List<Object> at) throws ConfigException {
        T found = kind.find(name);
        if (found == null) {
            throw error(at, "no " + kind.kind() + " is named '" + name + "'; available: " + kind.available());
        }
        return found;
    }

    private void checkName(String name, List<Object> at) throws ConfigException {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw error(path(at, "name"), "a name of letters, digits, '.', '_' or '-' is needed, got '" + name + "'");
        }
    }

    private ConfigException bindingError(List<Object> prefix, JsonMappingException e) {
        List<Object> at = new ArrayList<>(prefix);
        for (JsonMappingException.Reference ref : e.getPath()) {
            at.add(ref.getFieldName() != null ? ref.getFieldName() : (Object) ref.getIndex());
        }
        String message = e.getOriginalMessage();
        if (e instanceof UnrecognizedPropertyException unknown) {
            message = "unknown field '" + unknown.getPropertyName() + "'; known fields: "
                    + String.join(", ", unknown.getKnownPropertyIds().stream().map(Object::toString).sorted().toList());
        } else if (e.getCause() instanceof IllegalArgumentException cause) {
            message = cause.getMessage();
        } else if (message != null && message.contains("\n")) {
            message = message.substring(0, message.indexOf('\n'));
        }
        // Jackson's location is where the parser stood (often the end of the object); the field's own line is better
        int line = locator.line(at);
        JsonLocation location = e.getLocation();
        if (line == 0 && location != null) {
            line = location.getLineNr();
        }
        return new ConfigException(file + ":" + line + ": " + describe(at) + ": " + message);
    }

    private ConfigException error(List<Object> at, String message) {
        return new ConfigException(file + ":" + locator.line(at) + ": " + describe(at) + ": " + message);
    }

    private static String describe(List<Object> at) {
        StringBuilder text = new StringBuilder();
        for (Object step : at) {
            if (step instanceof Integer index) {
                text.append('[').append(index).append(']');
            } else {
                text.append(text.isEmpty() ? "" : ".").append(step);
            }
        }
        return text.isEmpty() ? "(top level)" : text.toString();
    }

    private static List<Object> path(List<Object> base, Object... more) {
        List<Object> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }
}
