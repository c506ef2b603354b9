package io.metacluster.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * An operator's order to resynchronise a cluster's nodes, or one of them (the admin endpoint's
 * {@code POST /clusters/NAME/resync}): which nodes a resync was started for, or why none was.
 */
public final class ResyncOrders {
    private ResyncOrders() {
    }

    /** What came of an order; {@code status} is the HTTP status that says so. */
    public enum Outcome {
        /** 202: a resync was started for {@link Answer#nodes()}. */
        STARTED(202),
        /** 404: no such cluster (in use by a listener), or no such node in it. */
        NOT_FOUND(404),
        /** 409: every node named already waits for or undergoes a resync, or nothing can refill it. */
        CONFLICT(409);

        public final int status;

        Outcome(int status) {
            this.status = status;
        }
    }

    /**
     * @param nodes   the nodes ({@code cluster/host:port}) a resync was started for
     * @param message for the operator: what was started, or why nothing was
     */
    public record Answer(Outcome outcome, List<String> nodes, String message) {
    }

    static Answer order(Cluster cluster, String clusterName, String nodeAddress, Resyncs resyncs) {
        if (cluster == null) {
            return new Answer(Outcome.NOT_FOUND, List.of(), "no cluster " + clusterName + " in use by a listener");
        }
        List<Node> targets = new ArrayList<>();
        for (Node node : cluster.nodes()) {
            // a whole cluster's order leaves out the nodes without keys of their own (Redis Cluster replicas)
            if (nodeAddress == null ? node.holdsKeys() : node.address.toString().equals(nodeAddress)) {
                targets.add(node);
            }
        }
        if (targets.isEmpty()) {
            return new Answer(Outcome.NOT_FOUND, List.of(), "cluster " + clusterName + " has no node " + nodeAddress
                    + " (its nodes: " + cluster.config().nodes() + ")");
        }
        List<String> started = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Node node : targets) {
            switch (resyncs.byOperator(node)) {
                case STARTED -> started.add(node.toString());
                case ALREADY_PENDING -> refused.add(node + ": a resync is already waiting or under way");
                case IMPOSSIBLE -> refused.add(node + ": no other cluster of its listeners to copy from"
                        + " (or its protocol cannot copy keys)");
            }
        }
        if (started.isEmpty()) {
            return new Answer(Outcome.CONFLICT, List.of(), String.join("; ", refused));
        }
        String message = "resync started for " + started + " (out of reads until done; progress on /clusters)"
                + (refused.isEmpty() ? "" : "; not for " + String.join("; ", refused));
        return new Answer(Outcome.STARTED, List.copyOf(started), message);
    }
}
