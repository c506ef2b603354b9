package io.metacluster.e2e;

import io.metacluster.testing.RedisServer;
import io.metacluster.testing.RespClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster on loopback: {@code masters} redis-servers started with
 * {@code --cluster-enabled yes} (each with its own {@code nodes.conf}), joined by
 * {@code redis-cli --cluster create}, each master with {@code replicasEach} replicas. A short
 * {@code cluster-node-timeout} makes a failover take a few seconds. With a {@code password}, every
 * node wants it ({@code requirepass}, and {@code masterauth} for its replicas).
 */
final class RedisClusterNodes implements AutoCloseable {
    static final String CLI = System.getProperty("metacluster.redis-cli", "redis-cli");
    final List<RedisServer> servers = new ArrayList<>();
    /** What every node wants, or {@code null}. */
    final String password;
    /** With {@link #startTls}: each server's TLS port, in {@link #servers}' order (the cluster names nodes by it). */
    final List<Integer> tlsPorts = new ArrayList<>();
    /** With {@link #startTls}: redis-cli's TLS options. */
    private final List<String> cliTls = new ArrayList<>();

    private RedisClusterNodes(String password) {
        this.password = password;
    }

    /**
     * {@code masters} masters without replicas that speak TLS to clients and on the cluster bus
     * ({@code tls-cluster}), with the certificates {@link TlsIT#makeCertificates} made in
     * {@code certs}; each keeps its plain port for this class's own checks.
     */
    static RedisClusterNodes startTls(int masters, java.nio.file.Path certs) throws Exception {
        RedisClusterNodes cluster = new RedisClusterNodes(null);
        cluster.cliTls.addAll(List.of("--tls", "--cacert", certs.resolve("ca.crt").toString()));
        List<String> addresses = new ArrayList<>();
        try {
            for (int i = 0; i < masters; i++) {
                int tlsPort = io.metacluster.testing.FreePorts.find();
                cluster.servers.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "1000", "--tls-port", Integer.toString(tlsPort), "--tls-cluster", "yes",
                        "--tls-cert-file", certs.resolve("server.crt").toString(),
                        "--tls-key-file", certs.resolve("server.key").toString(),
                        "--tls-ca-cert-file", certs.resolve("ca.crt").toString(), "--tls-auth-clients", "no"));
                cluster.tlsPorts.add(tlsPort);
                addresses.add("127.0.0.1:" + tlsPort);
            }
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return cluster.create(addresses, 0);
    }

    /** Joins the servers at {@code addresses} into one cluster; closes every server if that fails. */
    private RedisClusterNodes create(List<String> addresses, int replicasEach) throws Exception {
        try {
            List<String> create = new ArrayList<>(List.of("--cluster", "create"));
            create.addAll(addresses);
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicasEach), "--cluster-yes"));
            cli(create.toArray(String[]::new));
            awaitOk();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
        return this;
    }

    static RedisClusterNodes start(int masters, int replicasEach) throws Exception {
        return start(masters, replicasEach, null);
    }

    static RedisClusterNodes start(int masters, int replicasEach, String password) throws Exception {
        RedisClusterNodes cluster = new RedisClusterNodes(password);
        try {
            for (int i = 0; i < masters * (1 + replicasEach); i++) {
                cluster.servers.add(cluster.startNode());
            }
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return cluster.create(cluster.servers.stream().map(RedisServer::address).toList(), replicasEach);
    }

    /** A new cluster-enabled server, not yet in the cluster ({@code redis-cli --cluster add-node} joins it). */
    RedisServer startNode() {
        List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0"));
        if (password != null) {
            args.addAll(List.of("--requirepass", password, "--masterauth", password));
        }
        return RedisServer.start(args.toArray(String[]::new));
    }

    /** Runs {@code redis-cli} with {@code args}, with the password when the nodes want one. */
    String cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(CLI));
        if (password != null) {
            command.addAll(List.of("-a", password, "--no-auth-warning"));
        }
        command.addAll(cliTls);
        command.addAll(List.of(args));
        return run(command);
    }

    /** One command to {@code server} on a connection of its own, after AUTH when the nodes want it. */
    Object call(RedisServer server, Object... args) {
        try (RespClient client = server.client()) {
            if (password != null) {
                client.call("AUTH", password);
            }
            return client.call(args);
        }
    }

    /** Runs redis-cli; fails with its output unless it exits 0 within two minutes. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(command + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
        return new String(output, StandardCharsets.UTF_8);
    }

    /** Waits (at most 30 s) until every live node says {@code cluster_state:ok} and agrees on the slots. */
    void awaitOk() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (RedisServer server : servers) {
                if (server.isRunning()) {
                    String info = String.valueOf(call(server, "CLUSTER", "INFO"));
                    ok &= info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384");
                }
            }
            if (ok) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the Redis Cluster did not settle: " + call(servers.get(0), "CLUSTER", "INFO"));
    }

    /** The live masters that own slots. */
    List<RedisServer> masters() {
        return servers.stream().filter(server -> server.isRunning() && !slotsOf(server).isEmpty()).toList();
    }

    /** This node's id in the cluster. */
    static String id(RedisServer server) {
        return String.valueOf(server.call("CLUSTER", "MYID"));
    }

    /** {@link #id}, with the password when the nodes want one. */
    String nodeId(RedisServer server) {
        return String.valueOf(call(server, "CLUSTER", "MYID"));
    }

    /** {@link #slotRanges}, with the password when the nodes want one. */
    List<int[]> slotsOf(RedisServer server) {
        return ranges(String.valueOf(call(server, "CLUSTER", "NODES")));
    }

    /** The live replicas of {@code master} ({@code ROLE}: slave of its port). */
    List<RedisServer> replicasOf(RedisServer master) {
        return servers.stream().filter(RedisServer::isRunning).filter(server -> {
            List<?> role = (List<?>) call(server, "ROLE");
            return "slave".equals(role.get(0)) && Long.valueOf(master.port()).equals(role.get(2));
        }).toList();
    }

    /** The live node that owns {@code slot}, as that node itself says. */
    RedisServer ownerOf(int slot) {
        for (RedisServer server : servers) {
            if (server.isRunning()) {
                for (int[] range : slotsOf(server)) {
                    if (slot >= range[0] && slot <= range[1]) {
                        return server;
                    }
                }
            }
        }
        throw new IllegalStateException("no live node owns slot " + slot);
    }

    /** The slot ranges the node says it owns ({@code myself} in CLUSTER NODES), migrations left out. */
    static List<int[]> slotRanges(RedisServer server) {
        return ranges(String.valueOf(server.call("CLUSTER", "NODES")));
    }

    private static List<int[]> ranges(String clusterNodes) {
        List<int[]> ranges = new ArrayList<>();
        for (String line : clusterNodes.split("\n")) {
            String[] fields = line.trim().split(" ");
            if (fields.length > 2 && fields[2].contains("myself")) {
                for (int i = 8; i < fields.length; i++) {
                    if (!fields[i].startsWith("[")) {
                        String[] bounds = fields[i].split("-");
                        ranges.add(new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[bounds.length - 1])});
                    }
                }
            }
        }
        return ranges;
    }

    /**
     * The first step of moving {@code slot} to master {@code to}, as {@code redis-cli --cluster
     * reshard} takes it: {@code to} IMPORTING, its owner MIGRATING; its keys stay where they are
     * ({@link #migrateKeys}), so a request for a key the owner lacks gets {@code ASK}.
     */
    RedisServer beginMove(int slot, RedisServer to) {
        RedisServer from = ownerOf(slot);
        to.call("CLUSTER", "SETSLOT", slot, "IMPORTING", id(from));
        from.call("CLUSTER", "SETSLOT", slot, "MIGRATING", id(to));
        return from;
    }

    /** MIGRATE of every key of {@code slot} from {@code from} to {@code to}. */
    static void migrateKeys(int slot, RedisServer from, RedisServer to) {
        while (true) {
            List<?> keys = (List<?>) from.call("CLUSTER", "GETKEYSINSLOT", slot, 100);
            if (keys.isEmpty()) {
                return;
            }
            List<Object> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", to.port(), "", 0, 5000, "KEYS"));
            migrate.addAll(keys);
            from.call(migrate.toArray());
        }
    }

    /** The last step: every master says {@code to} owns {@code slot} (the importing node first, as redis-cli does). */
    void endMove(int slot, RedisServer to) {
        to.call("CLUSTER", "SETSLOT", slot, "NODE", id(to));
        for (RedisServer master : masters()) {
            if (master != to) {
                master.call("CLUSTER", "SETSLOT", slot, "NODE", id(to));
            }
        }
    }

    /** Moves {@code slot} with its keys to master {@code to}, behind any proxy's back. */
    void moveSlot(int slot, RedisServer to) {
        RedisServer from = beginMove(slot, to);
        migrateKeys(slot, from, to);
        endMove(slot, to);
    }

    /** The replica of master {@code master}, as the replica itself says. */
    RedisServer replicaOf(RedisServer master) {
        String masterId = id(master);
        for (RedisServer server : servers) {
            if (server != master && server.isRunning()
                    && String.valueOf(server.call("CLUSTER", "NODES")).lines().anyMatch(
                            line -> line.contains("myself,slave") && line.contains(masterId))) {
                return server;
            }
        }
        throw new IllegalStateException("master " + master.address() + " has no replica");
    }

    /** The seed list for a config: every server. */
    String seeds() {
        return String.join(", ", servers.stream().map(RedisServer::address).toList());
    }

    @Override
    public void close() {
        servers.forEach(RedisServer::close);
    }
}
