package io.metacluster.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/** The loaded configuration as an operator may see it: JSON, every secret replaced by {@link #REDACTED}. */
final class ShownConfig {
    static final String REDACTED = "<redacted>";
    /** Keys whose values are secrets, in any block, extensions' included. */
    private static final Pattern SECRET = Pattern.compile("(?i).*(password|token|secret|passphrase|credential).*");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private ShownConfig() {
    }

    static String of(MetaclusterConfig config) {
        JsonNode tree = JSON.valueToTree(config);
        redact(tree);
        try {
            return JSON.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the config as JSON", e);
        }
    }

    /** Replaces, in place, the value of every secret key below {@code node} that is set. */
    static void redact(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (SECRET.matcher(field.getKey()).matches() && !field.getValue().isNull()) {
                    field.setValue(TextNode.valueOf(REDACTED));
                } else {
                    redact(field.getValue());
                }
            }
        } else if (node != null && node.isArray()) {
            node.forEach(ShownConfig::redact);
        }
    }
}
