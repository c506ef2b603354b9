package io.metacluster.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.StringReader;
import java.util.List;

/**
 * Finds the line of a field in the YAML text, for errors found after binding (a cluster that
 * does not exist, a duplicate port). Jackson's tree does not keep source positions, so the
 * text is composed once more into SnakeYAML nodes, which do.
 */
final class YamlLocator {
    private final Node root;

    YamlLocator(String text) {
        Node composed;
        try {
            composed = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (RuntimeException e) {
            composed = null;
        }
        this.root = composed;
    }

    /**
     * The 1-based line of the value at {@code path} (field names and list indexes), or of the
     * deepest part of it that exists; 0 when nothing is known.
     */
    int line(List<Object> path) {
        Node node = root;
        int line = node == null ? 0 : node.getStartMark().getLine() + 1;
        for (Object step : path) {
            Node next = child(node, step);
            if (next == null) {
                break;
            }
            node = next;
            line = node.getStartMark().getLine() + 1;
        }
        return line;
    }

    private static Node child(Node node, Object step) {
        if (node instanceof MappingNode mapping && step instanceof String key) {
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode scalar && scalar.getValue().equals(key)) {
                    return tuple.getValueNode();
                }
            }
        } else if (node instanceof SequenceNode sequence && step instanceof Integer index
                && index < sequence.getValue().size()) {
            return sequence.getValue().get(index);
        }
        return null;
    }
}
