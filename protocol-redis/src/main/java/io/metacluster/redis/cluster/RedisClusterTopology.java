package io.metacluster.redis.cluster;

import io.metacluster.spi.Command;
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
import java.util.HashMap;
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
 * authenticate with the cluster's credentials.
 *
 * <p>A node that joins the cluster after start is not connected to: its slots are left to other
 * clusters (reads) or fail (writes) until the daemon restarts. Thread-safe: the map is read on
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

    private final List<String> nodes;
    /** Node index by {@code ip:port} (no brackets), as the cluster names nodes in its replies. */
    private final Map<String, Integer> indexOf = new HashMap<>();
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
        this(seeds, options, null, null);
    }

    /** With the cluster's credentials ({@code null} for none), for the map queries. */
    RedisClusterTopology(List<String> seeds, RedisClusterOptions options, String username, String password) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("topology 'redis-cluster' needs at least one seed node");
        }
        this.query = new SlotMapQuery(options.timeoutMs(), username, password);
        this.readFrom = options.readFrom();
        this.readsReplicas = options.readsReplicas();
        this.name = "redis-cluster " + seeds;
        List<String> all = new ArrayList<>(seeds);
        for (int i = 0; i < seeds.size(); i++) {
            indexOf.putIfAbsent(resolved(seeds.get(i)), i);
        }
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
            for (SlotMapQuery.Shard shard : shards) {
                learn(all, shard.master());
                shard.replicas().forEach(replica -> learn(all, replica));
            }
        }
        this.nodes = List.copyOf(all);
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
        Integer node = indexOf.get(words[2]);
        if (node == null || slot < 0 || slot >= HashSlot.SLOTS) {
            if (strangersReported.add(words[2])) {
                log.warn("{}: slot {} is served by {}, which the daemon did not connect to at start; "
                        + "restart it to use that node", name, slot, words[2]);
            }
            refreshSoon();
            return null;
        }
        if (!moved) {
            return new Redirect(node, ASKING, 0);
        }
        ownerOfSlot.set(slot, node);
        refreshSoon();
        return new Redirect(node, null, 0);
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
                apply(query.ask(nodes.get(node)));
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("{}: node {} did not give its slot map: {}", name, nodes.get(node), e.getMessage());
            }
        }
        log.debug("{}: no node gave its slot map; keeping the last one", name);
    }

    private synchronized void apply(List<SlotMapQuery.Shard> shards) {
        boolean[] now = new boolean[nodes.size()];
        Readers[] reading = new Readers[nodes.size()];
        int[] owners = new int[HashSlot.SLOTS];
        Arrays.fill(owners, UNKNOWN);
        for (SlotMapQuery.Shard shard : shards) {
            Integer master = indexOf.get(key(shard.master()));
            if (master == null) {
                if (strangersReported.add(shard.master())) {
                    log.warn("{}: {} serves slots but was not in the cluster when the daemon started; "
                            + "its slots are left to other clusters until a restart", name, shard.master());
                }
                continue;
            }
            now[master] = true;
            reading[master] = readersOf(shard);
            int[] ranges = shard.ranges();
            for (int r = 0; r + 1 < ranges.length; r += 2) {
                for (int slot = ranges[r]; slot <= ranges[r + 1]; slot++) {
                    owners[slot] = master;
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
    private Readers readersOf(SlotMapQuery.Shard shard) {
        int[] online = shard.online().stream().map(replica -> indexOf.get(key(replica)))
                .filter(index -> index != null).mapToInt(Integer::intValue).toArray();
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
