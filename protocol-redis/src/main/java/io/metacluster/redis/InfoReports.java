package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.ProxyReport;
import io.metacluster.spi.ServerReports;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code INFO [section ...]}, answered from every node of the cluster that serves the client's
 * reads: one node's text as it is, several nodes' (the shards of a hash ring) merged by
 * {@link InfoMerge}, and a {@code # Metacluster} section appended when the client asked for the
 * default sections, {@code all}, {@code everything} or {@code metacluster} ({@code INFO metacluster}
 * alone gives only it, since Redis answers an unknown section with nothing). Every field of that
 * section starts with {@code metacluster_}, so a client that flattens INFO into one map sees no
 * clash. The reply has the nodes' type: a bulk string, or under RESP3 a verbatim string
 * ({@code =<n>\r\ntxt:...}), as Redis 7.0 sends it. Stateless and shared.
 */
final class InfoReports implements ServerReports {
    static final InfoReports INSTANCE = new InfoReports();
    static final String SECTION = "Metacluster";
    private static final String PREFIX = "metacluster_";
    private static final Set<String> WITH_PROXY_SECTION = Set.of("default", "all", "everything", "metacluster");

    private InfoReports() {
    }

    @Override
    public boolean isReport(Command command) {
        return command.detail() instanceof CommandInfo info && info.name().equals("info");
    }

    @Override
    public ByteBuf join(Command command, ByteBuf[] replies, ProxyReport proxy, ByteBufAllocator alloc) {
        boolean resp3 = replies[0].getByte(replies[0].readerIndex()) == '=';
        String[] texts = new String[replies.length];
        for (int i = 0; i < replies.length; i++) {
            texts[i] = text(replies[i]);
            replies[i].release();
        }
        StringBuilder info = new StringBuilder(texts.length == 1 ? texts[0] : InfoMerge.merge(texts));
        if (wantsProxySection(AdminCommands.args(command.frame()))) {
            if (info.length() > 0) {
                info.append("\r\n");
            }
            info.append(section(proxy, replies.length));
        }
        return RespWriter.verbatim(alloc, info.toString(), resp3);
    }

    /** The text of a bulk ({@code $n}) or verbatim ({@code =n}, after its {@code txt:}) string reply. */
    private static String text(ByteBuf reply) {
        int from = reply.readerIndex();
        int cr = reply.indexOf(from, reply.writerIndex(), (byte) '\r');
        int length = Integer.parseInt(reply.toString(from + 1, cr - from - 1, StandardCharsets.US_ASCII));
        int skip = reply.getByte(from) == '=' ? 4 : 0;
        return reply.toString(cr + 2 + skip, length - skip, StandardCharsets.UTF_8);
    }

    private static boolean wantsProxySection(List<byte[]> args) {
        if (args.size() == 1) {
            return true;
        }
        for (int i = 1; i < args.size(); i++) {
            if (WITH_PROXY_SECTION.contains(new String(args.get(i), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** The {@code # Metacluster} section: the listener, the serving cluster, each cluster's state, verification. */
    static String section(ProxyReport proxy, int servingNodes) {
        StringBuilder s = new StringBuilder("# ").append(SECTION).append("\r\n");
        field(s, "version", proxy.version());
        field(s, "listener", proxy.listener());
        field(s, "connected_clients", proxy.connections());
        field(s, "serving_cluster", proxy.serving());
        field(s, "serving_nodes", servingNodes);
        field(s, "clusters", proxy.clusters().size());
        field(s, "clusters_up", proxy.clusters().stream().filter(ProxyReport.Cluster::healthy).count());
        field(s, "replay_pending", proxy.clusters().stream().mapToLong(ProxyReport.Cluster::replayPending).sum());
        for (ProxyReport.Cluster cluster : proxy.clusters()) {
            field(s, "cluster_" + cluster.name(), "state=" + (cluster.healthy() ? "up" : "down") + ",local=" + (cluster.local() ? 1 : 0)
                    + ",nodes=" + cluster.nodes() + ",nodes_up=" + cluster.nodesUp() + ",replay_pending=" + cluster.replayPending()
                    + ",replay_bytes=" + cluster.replayBytes());
        }
        for (Map.Entry<String, Long> count : proxy.verify().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            field(s, "verify_" + count.getKey().replace('.', '_').replace('-', '_'), count.getValue());
        }
        return s.toString();
    }

    private static void field(StringBuilder s, String name, Object value) {
        s.append(PREFIX).append(name).append(':').append(value).append("\r\n");
    }
}
