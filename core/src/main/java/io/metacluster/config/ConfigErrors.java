package io.metacluster.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes the config errors of one file: each names the file, the line and the field, as in
 * {@code conf.yaml:7: listeners[0].bind: expected host:port, got 'localhost'}. A field is a
 * path of keys and list indexes, e.g. {@code ["listeners", 0, "bind"]}.
 */
final class ConfigErrors {
    private final String file;
    private final YamlLocator locator;

    ConfigErrors(String file, String text) {
        this.file = file;
        this.locator = new YamlLocator(text);
    }

    /** {@code message} about the value at {@code at}. */
    ConfigException at(List<Object> at, String message) {
        return new ConfigException(file + ":" + locator.line(at) + ": " + describe(at) + ": " + message);
    }

    /** A value that did not bind to its record, below {@code prefix}. */
    ConfigException binding(List<Object> prefix, JsonMappingException e) {
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

    /** {@code base} followed by {@code more}. */
    static List<Object> path(List<Object> base, Object... more) {
        List<Object> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
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
}
