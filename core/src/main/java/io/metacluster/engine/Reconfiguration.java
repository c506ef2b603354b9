package io.metacluster.engine;

import io.metacluster.config.ClusterPlan;
import io.metacluster.config.ConfigException;
import io.metacluster.config.HostPort;
import io.metacluster.config.ListenerPlan;
import io.metacluster.config.Plan;
import io.metacluster.spi.ReadVerifier;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Applies a reloaded {@link Plan} to the running engine without closing a client connection:
 * clusters and nodes added (connected before use) and removed (drained first), {@code local}
 * flags, listeners' clusters, strategies, limits and auth, the admin token, the resync rate.
 * A listener whose address or protocol changed is closed and opened anew (its clients are
 * drained and closed: they reconnect to the new address). What the running engine cannot
 * change (I/O threads, backend and replay settings, the admin endpoint's address, a cluster's
 * protocol, credentials, database or TLS) refuses the whole reload, before anything changed.
 */
final class Reconfiguration {
    /** How long a listener's clients get to be answered when a reload closes it. */
    private static final long LISTENER_DRAIN_MS = 5000;

    private final Engine engine;
    private final Assembly parts;
    private final Plan before;
    private final Plan after;
    /** What changed, one phrase each, for the reload's log line and answer. */
    private final List<String> changes = new ArrayList<>();

    private Reconfiguration(Engine engine, Plan after) {
        this.engine = engine;
        this.parts = engine.parts;
        this.before = engine.plan();
        this.after = after;
    }

    /**
     * Applies {@code next} to {@code engine}; the caller holds the engine's lock.
     *
     * @return what changed, one phrase each (empty: nothing)
     * @throws Refused when {@code next} cannot be applied live; nothing changed then
     * @throws ConfigException when a listener's verify strategy cannot make its verifier with the
     *                         running engine (refused as by the check); nothing changed then
     */
    static List<String> apply(Engine engine, Plan next) throws Refused, ConfigException, InterruptedException {
        Reconfiguration reconfiguration = new Reconfiguration(engine, next);
        reconfiguration.refuseWhatCannotChange();
        reconfiguration.apply();
        return reconfiguration.changes;
    }

    /** A config that is valid but cannot be applied to the running daemon. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private void refuseWhatCannotChange() throws Refused {
        List<String> refusals = new ArrayList<>();
        if (before.ioThreads() != after.ioThreads()) {
            refusals.add("io-threads: " + before.ioThreads() + " -> " + after.ioThreads());
        }
        if (!before.backend().equals(after.backend())) {
            refusals.add("backend: " + before.backend() + " -> " + after.backend());
        }
        if (!before.replay().equals(after.replay())) {
            refusals.add("replay: " + before.replay() + " -> " + after.replay());
        }
        HostPort adminBefore = before.admin() == null ? null : before.admin().bind();
        HostPort adminAfter = after.admin() == null ? null : after.admin().bind();
        if (!Objects.equals(adminBefore, adminAfter)) {
            refusals.add("admin.bind: " + (adminBefore == null ? "none" : adminBefore) + " -> "
                    + (adminAfter == null ? "none" : adminAfter));
        }
        Map<String, Cluster> running = engine.clusters();
        for (ClusterPlan next : after.clusters()) {
            Cluster now = running.get(next.name());
            if (now == null || next.protocol() == null) {
                continue;
            }
            ClusterPlan was = now.config();
            if (!was.protocol().name().equals(next.protocol().name()) || !Objects.equals(was.username(), next.username())
                    || !Objects.equals(was.password(), next.password()) || was.database() != next.database()
                    || !Objects.equals(was.tls(), next.tls())) {
                refusals.add("clusters." + next.name() + ": its protocol, username, password, database or tls"
                        + " (give the cluster a new name to replace it)");
            }
        }
        if (!refusals.isEmpty()) {
            throw new Refused("cannot change while running (restart the daemon to apply): " + String.join("; ", refusals));
        }
    }

    private void apply() throws Refused, ConfigException, InterruptedException {
        Map<String, Cluster> running = engine.clusters();
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        List<Cluster> added = new ArrayList<>();
        List<Node> newNodes = new ArrayList<>();
        CountDownLatch firstOutcome = new CountDownLatch(after.clusters().stream()
                .filter(c -> c.protocol() != null && !running.containsKey(c.name()))
                .mapToInt(parts::eagerConnections).sum()
                + after.clusters().stream().filter(c -> c.protocol() != null && running.containsKey(c.name()))
                .mapToInt(c -> addedNodes(running.get(c.name()), c).size() * parts.eagerConnections(c) / c.nodes().size())
                .sum());
        Map<Cluster, Node[]> layouts = new LinkedHashMap<>();
        List<Node> removedNodes = new ArrayList<>();
        try {
            for (ClusterPlan next : after.clusters()) {
                if (next.protocol() == null) {
                    continue;
                }
                Cluster now = running.get(next.name());
                if (now == null) {
                    now = parts.cluster(next, firstOutcome);
                    added.add(now);
                    newNodes.addAll(List.of(now.nodes()));
                } else {
                    layouts.put(now, relayout(now, next, firstOutcome, newNodes, removedNodes));
                }
                clusters.put(next.name(), now);
            }
        } catch (RuntimeException e) {
            parts.retire(newNodes, null);
            throw new Refused("cannot build the new clusters: " + e.getMessage());
        }
        newNodes.forEach(Assembly::connect);
        // a first answer from the new nodes, so that the listeners do not start with them down
        firstOutcome.await(after.backend().connectTimeoutMs() + 500L, TimeUnit.MILLISECONDS);

        List<Listener> listeners = new ArrayList<>();
        List<Listener> toBind = new ArrayList<>();
        List<Listener> toClose = new ArrayList<>();
        Map<Listener, ListenerPlan> kept = new LinkedHashMap<>();
        // made before anything changes: a verify strategy that cannot make its verifier refuses the reload
        Map<Listener, ReadVerifier> verifiers = new IdentityHashMap<>();
        Map<String, Listener> runningListeners = new LinkedHashMap<>();
        engine.listeners().forEach(l -> runningListeners.put(l.name(), l));
        try {
            for (ListenerPlan next : after.listeners()) {
                Listener now = runningListeners.remove(next.name());
                if (now != null && now.config().bind().equals(next.bind())
                        && now.protocol().name().equals(next.protocol().name())) {
                    kept.put(now, next);
                    listeners.add(now);
                    verifiers.put(now, sameVerify(now.config(), next) ? now.verifier()
                            : parts.verifier(next, now, clusters));
                } else {
                    Listener fresh = parts.listener(next, clusters);
                    toBind.add(fresh);
                    listeners.add(fresh);
                    changes.add(now != null ? "listener " + next.name() + " moved to " + next.protocol().name() + " on "
                            + next.bind() : "listener " + next.name() + " added on " + next.bind());
                    if (now != null) {
                        toClose.add(now);
                    }
                }
            }
        } catch (ConfigException e) {
            undo(toBind, added, newNodes);
            after.listeners().stream().map(ListenerPlan::name).filter(this::newName).forEach(parts::forgetListenerMetrics);
            throw e;
        }
        runningListeners.values().forEach(gone -> {
            toClose.add(gone);
            changes.add("listener " + gone.name() + " removed from " + gone.config().bind());
        });
        bindFirst(toBind, added, newNodes);

        for (Map.Entry<Cluster, Node[]> entry : layouts.entrySet()) {
            Cluster cluster = entry.getKey();
            cluster.relayout(after.clusters().stream().filter(c -> c.name().equals(cluster.name())).findFirst().orElseThrow(),
                    entry.getValue());
        }
        kept.forEach((listener, next) -> reconfigure(listener, next, clusters, verifiers.get(listener)));
        engine.publish(after, clusters, listeners);
        for (Listener gone : toClose) {
            boolean nameGone = after.listeners().stream().noneMatch(l -> l.name().equals(gone.name()));
            parts.closeListener(gone, LISTENER_DRAIN_MS, nameGone);
        }
        bindRest(toBind);
        for (Cluster cluster : running.values()) {
            if (!clusters.containsKey(cluster.name())) {
                changes.add("cluster " + cluster.name() + " removed");
                parts.retire(List.of(cluster.nodes()), cluster);
            }
        }
        if (!removedNodes.isEmpty()) {
            parts.retire(removedNodes, null);
        }
        added.forEach(cluster -> changes.add("cluster " + cluster.name() + " added " + cluster.config().nodes()));
        engine.resyncs().reconfigure(after.resync(), Engine.peers(after));
        if (before.resync().keysPerSecond() != after.resync().keysPerSecond()) {
            changes.add("resync.keys-per-second " + before.resync().keysPerSecond() + " -> " + after.resync().keysPerSecond());
        }
        String tokenBefore = before.admin() == null ? null : before.admin().token();
        String tokenAfter = after.admin() == null ? null : after.admin().token();
        if (!Objects.equals(tokenBefore, tokenAfter)) {
            engine.adminToken(tokenAfter);
            changes.add("admin token " + (tokenAfter == null ? "removed" : tokenBefore == null ? "set" : "changed"));
        }
    }

    private static List<HostPort> addedNodes(Cluster cluster, ClusterPlan next) {
        Set<HostPort> had = new HashSet<>();
        for (Node node : cluster.nodes()) {
            had.add(node.address);
        }
        return next.nodes().stream().filter(address -> !had.contains(address)).toList();
    }

    /** {@code cluster}'s nodes as {@code next} has them: the running ones kept, new ones made; says what changed. */
    private Node[] relayout(Cluster cluster, ClusterPlan next, CountDownLatch firstOutcome, List<Node> newNodes,
                            List<Node> removedNodes) {
        ClusterPlan was = cluster.config();
        Map<HostPort, Node> had = new LinkedHashMap<>();
        for (Node node : cluster.nodes()) {
            had.put(node.address, node);
        }
        Node[] nodes = new Node[next.nodes().size()];
        List<HostPort> plus = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            HostPort address = next.nodes().get(i);
            Node node = had.remove(address);
            if (node == null) {
                node = parts.node(cluster, next, address, firstOutcome);
                newNodes.add(node);
                plus.add(address);
            }
            nodes[i] = node;
        }
        removedNodes.addAll(had.values());
        if (!plus.isEmpty() || !had.isEmpty() || !was.nodes().equals(next.nodes())) {
            changes.add("cluster " + next.name() + " nodes " + was.nodes() + " -> " + next.nodes());
        }
        if (was.local() != next.local()) {
            changes.add("cluster " + next.name() + " local " + was.local() + " -> " + next.local());
        }
        if (!was.topology().getClass().equals(next.topology().getClass())) {
            changes.add("cluster " + next.name() + " topology changed");
        }
        return nodes;
    }

    private void reconfigure(Listener listener, ListenerPlan next, Map<String, Cluster> clusters, ReadVerifier verifier) {
        ListenerPlan was = listener.config();
        List<String> what = new ArrayList<>();
        if (!was.clusters().equals(next.clusters())) {
            what.add("clusters " + was.clusters() + " -> " + next.clusters());
        }
        if (!was.strategies().equals(next.strategies())) {
            what.add("strategies " + next.strategies());
        }
        if (!was.limits().equals(next.limits())) {
            what.add("limits");
        }
        if (!Objects.equals(was.auth(), next.auth())) {
            what.add("auth");
        }
        if (!Objects.equals(was.tls(), next.tls())) {
            what.add("tls (for new connections)");
        }
        if (was.missFailover() != next.missFailover()) {
            what.add("miss-failover " + next.missFailover());
        }
        if (!Objects.equals(was.protocolOptions(), next.protocolOptions())) {
            what.add("protocol-options (for new connections)");
        }
        listener.reconfigure(next, parts.loopsOf(next, clusters), verifier);
        if (!what.isEmpty()) {
            changes.add("listener " + next.name() + ": " + String.join(", ", what));
        }
    }

    /** Whether the running verifier goes on: the same strategy, settings and clusters. */
    private static boolean sameVerify(ListenerPlan was, ListenerPlan next) {
        return was.verify().strategy().getClass().equals(next.verify().strategy().getClass())
                && Objects.equals(was.verify().config(), next.verify().config()) && was.clusters().equals(next.clusters());
    }

    /** Whether no running listener has the name {@code name}: its metrics go with a refused reload. */
    private boolean newName(String name) {
        return engine.listeners().stream().noneMatch(l -> l.name().equals(name));
    }

    /** Takes apart what a refused reload made: its listeners (not yet bound or bound), nodes and clusters. */
    private void undo(List<Listener> made, List<Cluster> added, List<Node> newNodes) {
        for (Listener listener : made) {
            parts.closeListener(listener, 0, newName(listener.name()));
        }
        parts.retire(newNodes, null);
        added.forEach(cluster -> parts.retire(List.of(), cluster));
    }

    /**
     * Binds the new listeners whose address no running listener holds; if one cannot, undoes
     * what this reload made and refuses it.
     */
    private void bindFirst(List<Listener> toBind, List<Cluster> added, List<Node> newNodes)
            throws Refused {
        Set<HostPort> held = new HashSet<>();
        engine.listeners().forEach(l -> held.add(l.config().bind()));
        for (Listener listener : toBind) {
            if (held.contains(listener.config().bind())) {
                continue;
            }
            try {
                parts.bind(listener);
            } catch (Engine.StartException e) {
                undo(toBind, added, newNodes);
                throw new Refused(e.getMessage());
            }
        }
    }

    /** Binds what {@link #bindFirst} left for after the listeners that held the addresses closed. */
    private void bindRest(List<Listener> toBind) {
        for (Listener listener : toBind) {
            if (listener.serverChannel == null) {
                try {
                    parts.bind(listener);
                } catch (Engine.StartException e) {
                    changes.add("FAILED: " + e.getMessage());
                }
            }
        }
    }
}
