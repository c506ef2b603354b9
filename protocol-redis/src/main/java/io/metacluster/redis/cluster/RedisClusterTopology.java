package io.metacluster.redis.cluster;

import io.metacluster.redis.RespSplitter;
import io.metacluster.spi.Command;
import io.metacluster.spi.NodeAccess;
import io.metacluster.spi.ProtocolException;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Predicate;

/**
 * {@code topology: redis-cluster}: a Redis Cluster, its slot map read from the configured seed
 * nodes at start, then refreshed periodically and soon after a {@code MOVED}. Every node the map
 * names at start (masters and replicas) becomes a node of the engine's cluster; a key goes to
 * the master of its {@link HashSlot}. A {@code MOVED} updates that slot at once and is followed on
 * the new owner, an {@code ASK} is followed with {@code ASKING} on the importing node. Keys of
 * several slots cannot be served by one request ({@link #groupOfKey} splits MGET and the like
 * by slot); any other such command gets the cluster's own {@code CROSSSLOT} error. With
 * {@code read-from} other than {@code master}, {@link #readers} names each master's online
 * replicas and {@link #handshake} makes every connection say {@code READONLY}. The map queries
 * reach the nodes as the engine's connections do (credentials, TLS).
 *
 * <p>A node that joins the cluster after start (a master added with {@code redis-cli --cluster
 * add-node}, its replicas) is found by the next map refresh, or soon after a redirection names it,
 * and handed to the engine ({@link #onGrowth}); meanwhile a request redirected to it waits and is
 * sent again. Thread-safe: the map is read on
 * event loops and written by the refresher thread and by {@link #redirect}.
 */
final class RedisClusterTopology implements Topology {
    private static final Logger log = LoggerFactory.getLogger(RedisClusterTopology.class);
    private static final byte[] ASKING = "*1\r\n$6\r\nASKING\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Lets a replica answer reads of its master's slots; on a master it changes nothing. */
    private static final byte[] READONLY = "*1\r\n$8\r\nREADONLY\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Redis 7.0's words (later versions say "in a single request"). */
    private static final byte[] CROSSSLOT =
            "-CROSSSLOT Keys in request don't hash to the same slot\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int UNKNOWN = -1;
    /** Retried on whichever node owns the slot by then; about what a failover window takes, in steps. */
    private static final Redirect SETTLE = new Redirect(SPANS_NODES, null, 100);
    /** A burst of MOVED (a resharding) asks for one map refresh, this long after the first. */
    private static final long REFRESH_AFTER_MOVED_MS = 100;
    private static final ScheduledExecutorService REFRESHER = refresher();

    /** Every node known, the engine's indexes; only grows, at its end, on the refresher thread. */
    private volatile List<String> nodes;
    /** How many of {@link #nodes} the engine has: no index from there on is answered. */
    private volatile int attached;
    /** The engine's way to connect nodes that joined ({@link #onGrowth}); {@code null} until given. */
    private volatile Predicate<List<String>> grow;
    /** Node index by {@code ip:port} (no brackets), as the cluster names nodes in its replies. */
    private final Map<String, Integer> indexOf = new ConcurrentHashMap<>();
    private final AtomicIntegerArray ownerOfSlot = new AtomicIntegerArray(HashSlot.SLOTS);
    private volatile boolean[] masters;
    /** By master index, who may read its slots ({@code read-from}); {@code null} when only masters read. */
    private volatile Readers[] readers;
    private final String readFrom;
    private final boolean readsReplicas;
    private final AtomicBoolean refreshScheduled = new AtomicBoolean();
    private final Set<String> strangersReported = ConcurrentHashMap.newKeySet();
    private final SlotMapQuery query;
    private final String name;
    private final ScheduledFuture<?> periodic;
    private volatile boolean closed;

    RedisClusterTopology(List<String> seeds, RedisClusterOptions options) {
        this(seeds, options, NodeAccess.PLAIN);
    }

    /** With how the nodes are reached (credentials, TLS), for the map queries. */
    RedisClusterTopology(List<String> seeds, RedisClusterOptions options, NodeAccess access) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("topology 'redis-cluster' needs at least one seed node");
        }
        this.query = new SlotMapQuery(options.timeoutMs(), access);
        this.readFrom = options.readFrom();
        this.readsReplicas = options.readsReplicas();
        this.name = "redis-cluster " + seeds;
        for (int i = 0; i < seeds.size(); i++) {
            indexOf.putIfAbsent(resolved(seeds.get(i)), i);
        }
        this.nodes = List.copyOf(seeds);
        List<SlotMapQuery.Shard> shards = null;
        for (String seed : seeds) {
            try {
                shards = query.ask(seed);
                break;
            } catch (IOException | RuntimeException e) {
                log.warn("{}: seed {} did not give its slot map: {}", name, seed, e.getMessage());
            }
        }
        if (shards != null) {
            learn(shards);
        }
        this.attached = nodes.size();
        for (int slot = 0; slot < HashSlot.SLOTS; slot++) {
            ownerOfSlot.set(slot, UNKNOWN);
        }
        masters = new boolean[nodes.size()];
        if (shards != null) {
            apply(shards);
        }
        periodic = REFRESHER.scheduleWithFixedDelay(this::refresh, options.refreshMs(), options.refreshMs(),
                TimeUnit.MILLISECONDS);
    }

    /** Appends the nodes of {@code shards} not known yet to {@link #nodes}; whether there were any. */
    private boolean learn(List<SlotMapQuery.Shard> shards) {
        List<String> all = new ArrayList<>(nodes);
        for (SlotMapQuery.Shard shard : shards) {
            learn(all, shard.master());
            shard.replicas().forEach(replica -> learn(all, replica));
        }
        if (all.size() == nodes.size()) {
            return false;
        }
        nodes = List.copyOf(all);
        return true;
    }

    private void learn(List<String> all, String address) {
        if (!indexOf.containsKey(key(address))) {
            indexOf.put(key(address), all.size());
            all.add(address.indexOf(':') != address.lastIndexOf(':') ? bracketed(address) : address);
        }
    }

    @Override
    public List<String> discoveredNodes() {
        return nodes;
    }

    @Override
    public void onGrowth(Predicate<List<String>> connect) {
        grow = connect;
    }

    @Override
    public List<byte[]> handshake() {
        // sent to masters too: a failover turns replicas into masters and back
        return readsReplicas ? List.of(READONLY) : List.of();
    }

    @Override
    public Readers readers(int node) {
        Readers[] now = readers;
        return now == null || node >= now.length ? null : now[node];
    }

    @Override
    public boolean serves(int node) {
        return masters[node];
    }

    @Override
    public int nodeFor(Command command) {
        int keys = command.keyCount();
        if (keys == 0) {
            // the cluster bus carries a PUBLISH to every node's subscribers: one master is enough
            return command.name().equalsIgnoreCase("PUBLISH") ? anyMaster() : SPANS_NODES;
        }
        int slot = slotOf(command, 0);
        for (int i = 1; i < keys; i++) {
            if (slotOf(command, i) != slot) {
                return SPANS_NODES;
            }
        }
        int owner = ownerOfSlot.get(slot);
        return owner == UNKNOWN ? SPANS_NODES : owner;
    }

    private int anyMaster() {
        boolean[] now = masters;
        for (int i = 0; i < now.length; i++) {
            if (now[i]) {
                return i;
            }
        }
        return SPANS_NODES;
    }

    @Override
    public int nodeOfKey(Command command, int key) {
        int owner = ownerOfSlot.get(slotOf(command, key));
        return owner == UNKNOWN ? SPANS_NODES : owner;
    }

    @Override
    public int groupOfKey(Command command, int key) {
        return slotOf(command, key);
    }

    @Override
    public ByteBuf refusal(Command command) {
        int keys = command.keyCount();
        for (int i = 1; i < keys; i++) {
            if (slotOf(command, i) != slotOf(command, 0)) {
                return Unpooled.wrappedBuffer(CROSSSLOT);
            }
        }
        return null;
    }

    @Override
    public boolean redirects() {
        return true;
    }

    @Override
    public Redirect redirect(ByteBuf errorReply) {
        if (errorReply.isReadable() && errorReply.getByte(errorReply.readerIndex()) == '+') {
            errorReply = transactionRedirect(errorReply);
            if (errorReply == null) {
                return null;
            }
        }
        if (startsWith(errorReply, "-CLUSTERDOWN ") || startsWith(errorReply, "-TRYAGAIN ")) {
            // a failover under way, or keys of one request split by a migration: soon over
            refreshSoon();
            return SETTLE;
        }
        boolean moved = startsWith(errorReply, "-MOVED ");
        if (!moved && !startsWith(errorReply, "-ASK ")) {
            return null;
        }
        String[] words = errorReply.toString(StandardCharsets.US_ASCII).trim().split(" ");
        if (words.length != 3) {
            return null;
        }
        int slot;
        try {
            slot = Integer.parseInt(words[1]);
        } catch (NumberFormatException e) {
            return null;
        }
        if (slot < 0 || slot >= HashSlot.SLOTS) {
            return null;
        }
        Integer node = indexOf.get(words[2]);
        if (node == null || node >= attached) {
            // a node that joined the cluster: the map refresh finds it and the engine connects it,
            // meanwhile the request waits, sent again to the slot's owner as the map has it
            if (strangersReported.add(words[2])) {
                log.info("{}: slot {} is served by {}, which the daemon is not connected to yet; connecting",
                        name, slot, words[2]);
            }
            refreshSoon();
            return SETTLE;
        }
        if (!moved) {
            return new Redirect(node, ASKING, 0);
        }
        ownerOfSlot.set(slot, node);
        refreshSoon();
        return new Redirect(node, null, 0);
    }

    /**
     * A forwarded transaction's reply that failed ({@code +OK} to MULTI, one reply per queued
     * command, then EXEC's error): the first redirection in it, or {@code null}. Either way the
     * transaction did not run: Redis aborts one a queued command was redirected from
     * ({@code EXECABORT}), and a redirected EXEC discards it, so it may be sent again whole.
     */
    private static ByteBuf transactionRedirect(ByteBuf reply) {
        int at = reply.readerIndex();
        try {
            while (at < reply.writerIndex()) {
                int length = RespSplitter.lengthOf(reply, at);
                if (length < 0) {
                    return null;
                }
                ByteBuf frame = reply.slice(at, length);
                if (frame.getByte(frame.readerIndex()) == '-' && isRedirect(frame)) {
                    return frame;
                }
                at += length;
            }
        } catch (ProtocolException e) {
            // framed once by the backend codec: cannot happen; an ordinary error then
        }
        return null;
    }

    private static boolean isRedirect(ByteBuf error) {
        return startsWith(error, "-MOVED ") || startsWith(error, "-ASK ") || startsWith(error, "-TRYAGAIN ")
                || startsWith(error, "-CLUSTERDOWN ");
    }

    @Override
    public void close() {
        closed = true;
        periodic.cancel(false);
    }

    private void refreshSoon() {
        if (!closed && refreshScheduled.compareAndSet(false, true)) {
            REFRESHER.schedule(() -> {
                refreshScheduled.set(false);
                refresh();
            }, REFRESH_AFTER_MOVED_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Reads the map from a master (else any node) that answers; keeps the old one when none does. */
    private void refresh() {
        boolean[] known = masters;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (known[i]) {
                order.add(i);
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            if (!known[i]) {
                order.add(i);
            }
        }
        for (int node : order) {
            try {
                List<SlotMapQuery.Shard> shards = query.ask(nodes.get(node));
                apply(shards);
                if (nodes.size() > attached) {
                    connectJoined(shards);
                }
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("{}: node {} did not give its slot map: {}", name, nodes.get(node), e.getMessage());
            }
        }
        log.debug("{}: no node gave its slot map; keeping the last one", name);
    }

    /**
     * Hands the nodes that joined the cluster to the engine ({@link #onGrowth}), then applies the
     * map again, now with their slots. Until the engine has them, their slots stay with the nodes
     * that had them, which redirect there ({@link #redirect} then waits).
     */
    private void connectJoined(List<SlotMapQuery.Shard> shards) {
        Predicate<List<String>> connect = grow;
        List<String> all = nodes;
        if (connect != null && connect.test(all)) {
            attached = all.size();
            apply(shards);
        }
    }

    private synchronized void apply(List<SlotMapQuery.Shard> shards) {
        int known = nodes.size();
        if (learn(shards)) {
            log.info("{}: nodes joined the cluster: {}", name, nodes.subList(known, nodes.size()));
        }
        List<String> all = nodes;
        int connected = attached;
        boolean[] now = new boolean[all.size()];
        Readers[] reading = new Readers[all.size()];
        int[] owners = new int[HashSlot.SLOTS];
        Arrays.fill(owners, UNKNOWN);
        for (SlotMapQuery.Shard shard : shards) {
            int master = indexOf.get(key(shard.master()));
            int[] ranges = shard.ranges();
            if (ranges.length == 0) {
                continue; // a master without slots yet (just added): nothing to serve
            }
            now[master] = master < connected;
            reading[master] = readersOf(shard, connected);
            for (int r = 0; r + 1 < ranges.length; r += 2) {
                for (int slot = ranges[r]; slot <= ranges[r + 1]; slot++) {
                    owners[slot] = master < connected ? master : ownerOfSlot.get(slot);
                }
            }
        }
        for (int slot = 0; slot < HashSlot.SLOTS; slot++) {
            ownerOfSlot.set(slot, owners[slot]);
        }
        if (!Arrays.equals(now, masters)) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < now.length; i++) {
                if (now[i]) {
                    names.add(nodes.get(i));
                }
            }
            log.info("{}: masters now {}", name, names);
        }
        masters = now;
        readers = readsReplicas ? reading : null;
    }

    /** The shard's replicas that are online and connected to, for reads of its master's slots. */
    private Readers readersOf(SlotMapQuery.Shard shard, int connected) {
        int[] online = shard.online().stream().mapToInt(replica -> indexOf.get(key(replica)))
                .filter(index -> index < connected).toArray();
        return new Readers(online, readFrom.equals(RedisClusterOptions.REPLICA_PREFERRED));
    }

    private static int slotOf(Command command, int key) {
        return HashSlot.of(command.frame(), command.frame().readerIndex() + command.keyOffset(key), command.keyLength(key));
    }

    private static boolean startsWith(ByteBuf buf, String prefix) {
        if (buf.readableBytes() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (buf.getByte(buf.readerIndex() + i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** {@code host:port} with the host as an IP address, without brackets: how the cluster names a node. */
    private static String resolved(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        try {
            host = InetAddress.getByName(host).getHostAddress();
        } catch (UnknownHostException e) {
            // compared as written; the seed is then reported as unreachable
        }
        return host + ":" + hostPort.substring(colon + 1);
    }

    private static String key(String address) {
        return address.replace("[", "").replace("]", "");
    }

    private static String bracketed(String address) {
        int colon = address.lastIndexOf(':');
        return "[" + address.substring(0, colon) + "]" + address.substring(colon);
    }

    private static ScheduledExecutorService refresher() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "metacluster-redis-cluster-map");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
