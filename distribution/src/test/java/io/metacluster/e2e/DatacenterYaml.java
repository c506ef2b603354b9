package io.metacluster.e2e;

import io.metacluster.testing.ServerProcess;

import java.nio.file.Path;

/**
 * Daemon YAML for the end-to-end tests' datacenters: one cluster of one server per datacenter,
 * named dc1, dc2, ... in the order of the servers, dc1 the local one.
 */
final class DatacenterYaml {
    private DatacenterYaml() {
    }

    /** The {@code clusters:} block of {@code servers}, one cluster each. */
    static String clusters(ServerProcess... servers) {
        StringBuilder yaml = new StringBuilder("clusters:\n");
        for (int i = 0; i < servers.length; i++) {
            yaml.append("  - { name: dc").append(i + 1).append(i == 0 ? ", local: true" : "")
                    .append(", nodes: [").append(servers[i].address()).append("] }\n");
        }
        return yaml.toString();
    }

    /**
     * The outage tests' (replay, resync) whole YAML: one listener in front of dc1 and dc2,
     * reconnecting within 50 to 200 ms, with a replay log on disk.
     *
     * @param protocol    the listener's protocol, {@code redis} or {@code memcached}
     * @param port        the listener's port
     * @param served      the listener's clusters, e.g. {@code "dc1, dc2"}
     * @param replayDir   where the replay log is kept
     * @param replayLines lines added to the {@code replay:} block (indented by two), or ""
     * @param sections    further top-level YAML (e.g. a {@code resync:} block), or ""
     */
    static String twoReplaying(String protocol, int port, String served, Path replayDir, String replayLines,
                               String sections, ServerProcess dc1, ServerProcess dc2) {
        return """
                backend:
                  reconnect-min-ms: 50
                  reconnect-max-ms: 200
                replay:
                  dir: %s
                %s
                %s
                listeners:
                  - name: main
                    protocol: %s
                    bind: 127.0.0.1:%d
                    clusters: [%s]
                """.formatted(replayDir, replayLines, sections, protocol, port, served) + clusters(dc1, dc2);
    }
}
