package io.metacluster.plugin;

import io.metacluster.spi.Command;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * {@code topology: hash-ring}: a cluster sharded over several nodes by consistent hashing, laid
 * out exactly as twemproxy's {@code distribution: ketama} with {@code hash: fnv1a_64} (and so as
 * libmemcached's ketama): 160 points per node (156 for some pool sizes, see {@link #pointsPerNode})
 * on a 32-bit continuum, made from MD5 digests of
 * "{@code name-N}", where a node's name is its {@code host:port}, or its host alone on port
 * 11211. A key goes to the node of the first point at or after its FNV-1a hash. So a pool that
 * twemproxy or a ketama client fronted keeps its keys where they are.
 *
 * <p>With a {@code hash-tag} (two characters, e.g. {@code "{}"}), a key holding both is hashed by
 * what lies between them, so related keys can be placed together. A command whose keys land on
 * different nodes, or that has no key, cannot be served by one node and gets
 * {@link Topology#SPANS_NODES}. With nodes ejected ({@link #without}), their keys are placed as
 * twemproxy with {@code auto_eject_hosts: true} places them. Immutable; thread-safe.
 */
final class HashRing implements Topology {
    /** The cluster's {@code topology-options} for {@code hash-ring}. */
    record Options(String hashTag) {
        Options {
            if (hashTag != null && hashTag.length() != 2) {
                throw new IllegalArgumentException("hash-tag must be two characters, like \"{}\"; got \"" + hashTag + "\"");
            }
        }
    }

    private static final int POINTS_PER_NODE = 160;
    private static final int POINTS_PER_DIGEST = 4;
    /** libmemcached leaves the port out of a node's name on memcached's default port, and twemproxy follows it. */
    private static final int DEFAULT_PORT = 11211;

    /** Every configured node, ejected or not: what node indexes refer to. */
    private final List<String> nodes;
    private final Options options;
    /** Continuum values (unsigned 32-bit, held in longs), ascending, and the node of each. */
    private final long[] points;
    private final int[] nodeOfPoint;
    private final int tagOpen;
    private final int tagClose;

    HashRing(List<String> nodes, Options options) {
        this(List.copyOf(nodes), options, new BitSet());
    }

    private HashRing(List<String> nodes, Options options, BitSet ejected) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("topology 'hash-ring' needs at least one node");
        }
        this.nodes = nodes;
        this.options = options;
        int live = nodes.size() - ejected.cardinality();
        int perNode = pointsPerNode(live);
        long[] packed = new long[live * perNode];
        int at = 0;
        for (int node = 0; node < nodes.size(); node++) {
            if (ejected.get(node)) {
                continue;
            }
            String name = ketamaName(nodes.get(node));
            for (int digest = 0; digest < perNode / POINTS_PER_DIGEST; digest++) {
                byte[] md5 = md5((name + "-" + digest).getBytes(StandardCharsets.UTF_8));
                for (int k = 0; k < POINTS_PER_DIGEST; k++) {
                    // (value, node) pairs sorted by value; equal values keep node order, as a stable sort would
                    packed[at++] = littleEndianUnsigned(md5, 4 * k) << 16 | node;
                }
            }
        }
        Arrays.sort(packed);
        points = new long[packed.length];
        nodeOfPoint = new int[packed.length];
        for (int i = 0; i < packed.length; i++) {
            points[i] = packed[i] >>> 16;
            nodeOfPoint[i] = (int) (packed[i] & 0xffff);
        }
        String tag = options == null ? null : options.hashTag();
        tagOpen = tag == null ? -1 : tag.charAt(0);
        tagClose = tag == null ? -1 : tag.charAt(1);
    }

    /**
     * The ring twemproxy rebuilds when it ejects hosts ({@code auto_eject_hosts: true}): the
     * remaining nodes keep their names, so their points stay where they were and only the
     * ejected nodes' keys move, each to the node of the next remaining point.
     */
    @Override
    public Topology without(BitSet ejected) {
        if (ejected.cardinality() >= nodes.size() || ejected.length() > nodes.size()) {
            throw new IllegalArgumentException("cannot eject " + ejected + " of " + nodes.size() + " nodes");
        }
        return new HashRing(nodes, options, (BitSet) ejected.clone());
    }

    /**
     * Points per node with {@code live} nodes of equal weight, computed as twemproxy's
     * {@code ketama_update} does, in C {@code float}s: {@code floorf(pct * 160 / 4 * live +
     * 1e-10) * 4} with {@code pct = 1 / live}. That is 160 for most pool sizes, but 156 for some
     * (25, 47, 50, ...), where the rounding of {@code 1 / live} falls short.
     */
    static int pointsPerNode(int live) {
        float pct = 1f / live;
        float exact = pct * POINTS_PER_NODE / POINTS_PER_DIGEST * (float) live;
        return (int) Math.floor((float) (exact + 0.0000000001)) * POINTS_PER_DIGEST;
    }

    @Override
    public int nodeFor(Command command) {
        int keys = command.keyCount();
        if (keys == 0) {
            return SPANS_NODES;
        }
        int node = nodeOfKey(command, 0);
        for (int i = 1; i < keys; i++) {
            int other = nodeOfKey(command, i);
            if (other != node) {
                return SPANS_NODES;
            }
        }
        return node;
    }

    @Override
    public int nodeOfKey(Command command, int key) {
        return nodeForKey(command.frame(), command.frame().readerIndex() + command.keyOffset(key), command.keyLength(key));
    }

    /** The node of the key at {@code from}, {@code length} bytes long, in {@code buf}. */
    int nodeForKey(ByteBuf buf, int from, int length) {
        int start = from;
        int end = from + length;
        if (tagOpen >= 0) {
            int open = buf.indexOf(from, end, (byte) tagOpen);
            if (open >= 0) {
                int close = buf.indexOf(open + 1, end, (byte) tagClose);
                if (close - open > 1) {
                    start = open + 1;
                    end = close;
                }
            }
        }
        return nodeForHash(fnv1a(buf, start, end));
    }

    int nodeForHash(long hash) {
        int low = 0;
        int high = points.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (points[middle] < hash) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return nodeOfPoint[low == points.length ? 0 : low];
    }

    /**
     * twemproxy's {@code hash_fnv1a_64}, which despite its name works in 32 bits: the low half of
     * the 64-bit offset basis and prime. Bytes are taken as C {@code char}s, sign-extended.
     */
    static long fnv1a(ByteBuf buf, int start, int end) {
        int hash = (int) 0xcbf29ce484222325L;
        int prime = (int) 0x100000001b3L;
        for (int i = start; i < end; i++) {
            hash ^= buf.getByte(i);
            hash *= prime;
        }
        return hash & 0xffffffffL;
    }

    private static String ketamaName(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        boolean defaultPort = colon > 0 && hostPort.substring(colon + 1).equals(Integer.toString(DEFAULT_PORT));
        return defaultPort ? hostPort.substring(0, colon) : hostPort;
    }

    private static long littleEndianUnsigned(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    private static byte[] md5(byte[] input) {
        try {
            return MessageDigest.getInstance("MD5").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has MD5", e);
        }
    }
}
