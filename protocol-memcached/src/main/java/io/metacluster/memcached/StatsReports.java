package io.metacluster.memcached;

import io.metacluster.spi.Command;
import io.metacluster.spi.ProxyReport;
import io.metacluster.spi.ServerReports;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.metacluster.memcached.BinaryPacket.*;

/**
 * memcached {@code stats} (text) and Stat (binary), answered from every node of the cluster that
 * serves the client's reads: the nodes' figures as one server's ({@link StatsMerge}), and in the
 * general group the proxy's own lines, {@code STAT metacluster_*}, which no memcached name starts
 * with. A group whose figures describe one process rather than the data ({@code settings},
 * {@code conns}, dumps, and any other) is the first node's; a one-line answer ({@code RESET},
 * {@code OK}, an error, a binary error status) is the first node's too. Stateless and shared.
 */
final class StatsReports implements ServerReports {
    static final StatsReports INSTANCE = new StatsReports();
    static final String PREFIX = "metacluster_";

    private StatsReports() {
    }

    @Override
    public boolean isReport(Command command) {
        return command.detail() instanceof Request request
                && (request.shape() == ReplyShape.STATS || request.shape() == ReplyShape.BINARY_STATS);
    }

    @Override
    public ByteBuf join(Command command, ByteBuf[] replies, ProxyReport proxy, ByteBufAllocator alloc) {
        Request request = (Request) command.detail();
        try {
            return request.binary() ? binary(command, request, replies, proxy, alloc) : text(command, replies, proxy, alloc);
        } finally {
            for (ByteBuf reply : replies) {
                reply.release();
            }
        }
    }

    private static ByteBuf text(Command command, ByteBuf[] replies, ProxyReport proxy, ByteBufAllocator alloc) {
        String group = textGroup(command.frame());
        List<List<String[]>> nodes = new ArrayList<>(replies.length);
        List<String> others = new ArrayList<>();
        for (ByteBuf reply : replies) {
            String text = reply.toString(reply.readerIndex(), reply.readableBytes(), StandardCharsets.ISO_8859_1);
            if (!text.startsWith("STAT ") && !text.startsWith("ITEM ") && !text.startsWith("PREFIX ") && !text.equals("END\r\n")
                    || !StatsMerge.merged(group)) {
                return replies[0].retainedSlice(); // a one-line answer, or a group that is one node's
            }
            List<String[]> stats = new ArrayList<>();
            for (String line : text.split("\r\n")) {
                if (line.startsWith("STAT ")) {
                    int space = line.indexOf(' ', 5);
                    stats.add(space < 0 ? new String[]{line.substring(5), ""}
                            : new String[]{line.substring(5, space), line.substring(space + 1)});
                } else if (!line.equals("END")) {
                    others.add(line);
                }
            }
            nodes.add(stats);
        }
        StringBuilder out = new StringBuilder(4096);
        for (String line : others) {
            out.append(line).append("\r\n");
        }
        StatsMerge.merge(group, nodes).forEach((name, value) -> out.append("STAT ").append(name).append(' ').append(value).append("\r\n"));
        if (group.isEmpty()) {
            proxyStats(proxy, replies.length).forEach((name, value) -> out.append("STAT ").append(name).append(' ').append(value).append("\r\n"));
        }
        return ByteBufUtil.writeAscii(alloc, out.append("END\r\n"));
    }

    /** The group a text {@code stats} line names: its second token, or "" for the general figures. */
    private static String textGroup(ByteBuf frame) {
        String line = frame.toString(frame.readerIndex(), frame.readableBytes(), StandardCharsets.ISO_8859_1).strip();
        String[] tokens = line.split(" +");
        return tokens.length > 1 ? tokens[1] : "";
    }

    private static ByteBuf binary(Command command, Request request, ByteBuf[] replies, ProxyReport proxy, ByteBufAllocator alloc) {
        String group = command.keyCount() == 0 ? "" : command.key(0).toString(StandardCharsets.ISO_8859_1);
        List<List<String[]>> nodes = new ArrayList<>(replies.length);
        for (ByteBuf reply : replies) {
            if (status(reply) != STATUS_SUCCESS || !StatsMerge.merged(group)) {
                return replies[0].retainedSlice();
            }
            List<String[]> stats = new ArrayList<>();
            for (int at = reply.readerIndex(); at < reply.writerIndex(); ) {
                int keyLength = reply.getUnsignedShort(at + KEY_LENGTH);
                int extras = reply.getUnsignedByte(at + EXTRAS_LENGTH);
                int body = (int) reply.getUnsignedInt(at + BODY_LENGTH);
                int keyAt = at + HEADER_BYTES + extras;
                if (keyLength > 0) {
                    stats.add(new String[]{reply.toString(keyAt, keyLength, StandardCharsets.ISO_8859_1),
                        reply.toString(keyAt + keyLength, body - extras - keyLength, StandardCharsets.ISO_8859_1)});
                }
                at += HEADER_BYTES + body;
            }
            nodes.add(stats);
        }
        Map<String, String> stats = StatsMerge.merge(group, nodes);
        if (group.isEmpty()) {
            stats.putAll(proxyStats(proxy, replies.length));
        }
        ByteBuf out = alloc.buffer(64 * (stats.size() + 1));
        stats.forEach((name, value) -> writeResponse(out, request.opcode(), request.opaque(), STATUS_SUCCESS, name, value));
        writeResponse(out, request.opcode(), request.opaque(), STATUS_SUCCESS, "", "");
        return out;
    }

    /**
     * The proxy's own lines: what this listener is, which cluster answered (its {@code nodes} were
     * summed), and each of the listener's clusters as the admin endpoint shows it.
     */
    static Map<String, String> proxyStats(ProxyReport proxy, int nodes) {
        Map<String, String> stats = new LinkedHashMap<>();
        stats.put(PREFIX + "version", proxy.version());
        stats.put(PREFIX + "pid", Long.toString(ProcessHandle.current().pid()));
        stats.put(PREFIX + "listener", proxy.listener());
        stats.put(PREFIX + "curr_connections", Long.toString(proxy.connections()));
        stats.put(PREFIX + "serving_cluster", proxy.serving());
        stats.put(PREFIX + "serving_nodes", Integer.toString(nodes));
        long up = proxy.clusters().stream().filter(ProxyReport.Cluster::healthy).count();
        stats.put(PREFIX + "clusters", Integer.toString(proxy.clusters().size()));
        stats.put(PREFIX + "clusters_up", Long.toString(up));
        stats.put(PREFIX + "replay_pending", Long.toString(proxy.clusters().stream().mapToLong(ProxyReport.Cluster::replayPending).sum()));
        for (ProxyReport.Cluster cluster : proxy.clusters()) {
            String at = PREFIX + "cluster:" + cluster.name() + ":";
            stats.put(at + "state", cluster.healthy() ? "up" : "down");
            stats.put(at + "local", cluster.local() ? "1" : "0");
            stats.put(at + "nodes", Integer.toString(cluster.nodes()));
            stats.put(at + "nodes_up", Integer.toString(cluster.nodesUp()));
            stats.put(at + "replay_pending", Long.toString(cluster.replayPending()));
            stats.put(at + "replay_bytes", Long.toString(cluster.replayBytes()));
        }
        proxy.verify().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(
                count -> stats.put(PREFIX + "verify_" + count.getKey().replace('.', '_').replace('-', '_'), Long.toString(count.getValue())));
        return stats;
    }
}
