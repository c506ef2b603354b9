package io.metacluster.redis.cluster;

import io.metacluster.spi.NodeAccess;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks one Redis Cluster node for the slot map it knows: {@code CLUSTER SHARDS} (Redis 7), or
 * {@code CLUSTER SLOTS} when the node does not have it. A blocking exchange on a socket of its
 * own, run off the event loops (at start and by the refresher thread), so the map is read the
 * same way whatever the engine's connections are doing. Each connection is made as the
 * engine's are: over TLS when the cluster uses it, and saying {@code AUTH} first with the
 * cluster's credentials.
 */
final class SlotMapQuery {
    /**
     * One master's slots and its replicas, each as {@code host:port}.
     *
     * @param online the replicas that may serve reads now: not failed, not loading a full sync
     *               ({@code CLUSTER SLOTS} leaves failed ones out and does not say more)
     */
    record Shard(int[] ranges, String master, List<String> replicas, List<String> online) {
    }

    private static final int MAX_DEPTH = 8;
    private static final int MAX_LENGTH = 1 << 20;

    private final int timeoutMs;
    /** {@code AUTH}'s arguments, or {@code null} when the nodes want no password. */
    private final String[] auth;
    private final NodeAccess access;

    /**
     * @param timeoutMs connect and reply timeout
     * @param access    the cluster's credentials and TLS
     */
    SlotMapQuery(int timeoutMs, NodeAccess access) {
        this.timeoutMs = timeoutMs;
        this.access = access;
        this.auth = access.password() == null ? null : access.username() == null
                ? new String[] {"AUTH", access.password()} : new String[] {"AUTH", access.username(), access.password()};
    }

    /** The shards, as node {@code hostPort} sees them; with {@code CLUSTER SHARDS}, masters without slots too. */
    List<Shard> ask(String hostPort) throws IOException {
        Object shards = call(hostPort, "CLUSTER", "SHARDS");
        if (!(shards instanceof Error)) {
            return fromShards(shards, host(hostPort), access.tls());
        }
        Object slots = call(hostPort, "CLUSTER", "SLOTS");
        if (slots instanceof Error error) {
            throw new IOException(hostPort + " answered CLUSTER SLOTS with " + error.message());
        }
        return fromSlots(slots, host(hostPort));
    }

    /**
     * Sends one command to {@code hostPort} on a connection of its own (after {@code AUTH}, which
     * must succeed); its reply as {@link #read} gives it.
     */
    Object call(String hostPort, String... args) throws IOException {
        int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
        try (Socket socket = access.connect(host(hostPort), port, timeoutMs)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            if (auth != null) {
                out.write(request(auth));
                out.flush();
                if (read(in, 0) instanceof Error refused) {
                    // the reply names no secret: WRONGPASS, or "no password is set"
                    throw new IOException(hostPort + " refused AUTH: " + refused.message());
                }
            }
            out.write(request(args));
            out.flush();
            return read(in, 0);
        }
    }

    private static byte[] request(String... args) {
        StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
        }
        return request.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code CLUSTER SHARDS}: per shard, {@code slots} (start, end pairs) and {@code nodes} (field/value
     * lists). Over TLS a node's address is its {@code tls-port} ({@code port} is the plain one), as
     * {@code MOVED} and {@code CLUSTER SLOTS} name it on a TLS connection.
     */
    static List<Shard> fromShards(Object reply, String asked, boolean tls) throws IOException {
        List<Shard> shards = new ArrayList<>();
        for (Object entry : list(reply)) {
            List<Object> fields = list(entry);
            int[] ranges = null;
            String master = null;
            List<String> replicas = new ArrayList<>();
            List<String> online = new ArrayList<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String name = String.valueOf(fields.get(i));
                if (name.equals("slots")) {
                    List<Object> bounds = list(fields.get(i + 1));
                    ranges = new int[bounds.size()];
                    for (int b = 0; b < ranges.length; b++) {
                        ranges[b] = slot(bounds.get(b));
                    }
                } else if (name.equals("nodes")) {
                    for (Object node : list(fields.get(i + 1))) {
                        List<Object> attributes = list(node);
                        String role = field(attributes, "role");
                        String tlsPort = tls ? field(attributes, "tls-port") : null;
                        String address = address(field(attributes, "ip"),
                                tlsPort != null ? tlsPort : field(attributes, "port"), asked);
                        // a failing master still owns its slots until a replica takes them over
                        if ("master".equals(role) && master == null) {
                            master = address;
                        } else if ("replica".equals(role)) {
                            replicas.add(address);
                            if ("online".equals(field(attributes, "health"))) {
                                online.add(address);
                            }
                        }
                    }
                }
            }
            // a master without slots (just added to the cluster) is listed too: it is connected to
            if (master != null) {
                shards.add(new Shard(ranges == null ? new int[0] : ranges, master, replicas, online));
            }
        }
        return shards;
    }

    /** {@code CLUSTER SLOTS}: per range, start, end, the master {@code [ip, port, id, ...]}, then its replicas. */
    static List<Shard> fromSlots(Object reply, String asked) throws IOException {
        List<Shard> shards = new ArrayList<>();
        for (Object entry : list(reply)) {
            List<Object> range = list(entry);
            if (range.size() < 3) {
                throw new IOException("CLUSTER SLOTS entry too short: " + range);
            }
            List<String> replicas = new ArrayList<>();
            for (int r = 3; r < range.size(); r++) {
                replicas.add(address(range.get(r), asked));
            }
            shards.add(new Shard(new int[] {slot(range.get(0)), slot(range.get(1))}, address(range.get(2), asked), replicas,
                    replicas));
        }
        return shards;
    }

    private static String address(Object node, String asked) throws IOException {
        List<Object> parts = list(node);
        return address(String.valueOf(parts.get(0)), String.valueOf(parts.get(1)), asked);
    }

    /** A node that never met another does not know its own address, and says "": the one it was asked at. */
    private static String address(String ip, String port, String asked) {
        return (ip == null || ip.isEmpty() || ip.equals("?") ? asked : ip) + ":" + port;
    }

    private static String host(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':')).replace("[", "").replace("]", "");
    }

    private static String field(List<Object> attributes, String name) {
        for (int i = 0; i + 1 < attributes.size(); i += 2) {
            if (name.equals(String.valueOf(attributes.get(i)))) {
                return String.valueOf(attributes.get(i + 1));
            }
        }
        return null;
    }

    private static int slot(Object value) throws IOException {
        long slot = value instanceof Long number ? number : Long.parseLong(String.valueOf(value));
        if (slot < 0 || slot >= HashSlot.SLOTS) {
            throw new IOException("slot out of range: " + slot);
        }
        return (int) slot;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) throws IOException {
        if (!(value instanceof List)) {
            throw new IOException("expected an array, got " + value);
        }
        return (List<Object>) value;
    }

    /** An error reply. */
    record Error(String message) {
    }

    /** One RESP2 value: a String, a Long, a List, {@code null} or an {@link Error}. */
    static Object read(InputStream in, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("reply nested too deeply");
        }
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                return new Error(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = length(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                if (bytes.length < length + 2) {
                    throw new EOFException("connection closed inside a reply");
                }
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = length(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(Math.min(count, 1024));
                for (int i = 0; i < count; i++) {
                    items.add(read(in, depth + 1));
                }
                return items;
            }
            default:
                throw new IOException(type < 0 ? "connection closed" : "unexpected reply type '" + (char) type + "'");
        }
    }

    private static int length(String line) throws IOException {
        long length = Long.parseLong(line);
        if (length > MAX_LENGTH) {
            throw new IOException("reply element too long: " + length);
        }
        return (int) length;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\r'; ) {
            if (c < 0) {
                throw new EOFException("connection closed inside a reply");
            }
            if (line.length() > MAX_LENGTH) {
                throw new IOException("reply line too long");
            }
            line.append((char) c);
        }
        in.read();
        return line.toString();
    }
}
