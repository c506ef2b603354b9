package io.metacluster.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.metacluster.plugin.PluginHost;
import io.metacluster.spi.StrategyFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the YAML config and resolves it into the {@link Plan} the engine is built from, checking
 * everything that can be checked before starting: every error names the file, the line and the
 * field. The only place that parses YAML.
 */
public final class ConfigLoader {
    private static final ObjectMapper MAPPER = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigLoader() {
    }

    public static Plan load(Path path, PluginHost plugins) throws ConfigException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot read the config file: " + e.getMessage());
        }
        return parse(path.toString(), text, plugins);
    }

    /** Resolves {@code text}, the content of {@code file}, with the extensions of {@code plugins}. */
    public static Plan parse(String file, String text, PluginHost plugins) throws ConfigException {
        if (text.isBlank()) {
            throw new ConfigException(file + ":1: the file is empty");
        }
        text = interpolate(file, text, System.getenv());
        ConfigErrors errors = new ConfigErrors(file, text);
        MetaclusterConfig config;
        try {
            config = MAPPER.readValue(text, MetaclusterConfig.class);
        } catch (JsonMappingException e) {
            throw errors.binding(List.of(), e);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ConfigException(file + ":" + (at == null ? 0 : at.getLineNr()) + ": not valid YAML: " + e.getOriginalMessage());
        }
        if (config == null) {
            throw new ConfigException(file + ":1: the file is empty");
        }
        return new PlanResolver(errors, plugins).resolve(config);
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

    /**
     * Converts an extension's block, less its naming key (e.g. {@code strategy}), into the
     * extension's typed config, as the loader does.
     *
     * @throws IllegalArgumentException when the block does not bind (its cause is Jackson's
     *                                  {@link JsonMappingException} when it has one)
     */
    public static Object convert(StrategyFactory<?> factory, ObjectNode block, String namingKey) {
        ObjectNode settings = block == null ? null : block.deepCopy();
        if (settings != null) {
            settings.remove(namingKey);
        }
        return convert(settings, factory.configType());
    }

    /** {@code block} ({@code null}: empty) as a {@code type}; throws as {@link #convert} does. */
    static Object convert(ObjectNode block, Class<?> type) {
        return MAPPER.convertValue(block == null ? MAPPER.createObjectNode() : block, type);
    }
}
