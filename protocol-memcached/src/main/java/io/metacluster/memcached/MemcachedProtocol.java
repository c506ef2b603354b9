package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.NodeSync;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyVerification;
import org.pf4j.Extension;

/**
 * memcached 1.6 as a listener protocol ({@code protocol: memcached}): the text protocol, the meta
 * commands and the binary protocol, forwarded zero-copy. Stateless and thread-safe.
 *
 * <p>Routing: storage commands, {@code delete}, {@code incr}/{@code decr}, {@code touch},
 * {@code flush_all}, {@code ms}/{@code md}/{@code ma} and their binary opcodes are writes; the
 * get family ({@code get gets gat gats}, {@code mg}, {@code me}, binary Get/GetK/GAT/GATK and
 * quiet twins) are reads, a multi-key {@code get} going whole to one cluster; {@code stats} and
 * binary Stat are asked of every node of the read cluster and joined ({@link StatsReports});
 * {@code version}, {@code verbosity}, {@code quit}, {@code mn}, binary Noop/Version/Quit/
 * Verbosity are answered by the proxy. Local answers keep their place in the reply order,
 * so {@code mn} and Noop are correct fences after quiet requests.
 *
 * <p><b>Two backend lanes.</b> memcached picks a connection's protocol from its first byte, so
 * text and meta requests travel on {@link #TEXT_LANE} connections and binary ones on
 * {@link #BINARY_LANE} connections of their own.
 *
 * <p><b>cas.</b> A cas unique is only meaningful on the cluster that issued it. Text {@code cas},
 * any binary storage, Delete, Increment or Decrement with a non-zero cas, and meta {@code ms},
 * {@code md}, {@code ma} with {@code C} are {@link io.metacluster.spi.CommandKind#CONDITIONAL_WRITE}s:
 * they go to the cluster that serves the client's reads (where its {@code gets} got the unique).
 * When that cluster applies one ({@code STORED}, {@code HD}/{@code VA}, binary status 0), the
 * other clusters get the same change unconditionally, in the background ({@link Propagations}):
 * {@code cas} becomes {@code set} with the same flags, exptime and value; binary Set/Add/Replace
 * become Set with cas 0, the others their loud form with cas 0; meta commands lose {@code C} and
 * the flags that only shape the reply. A {@code gets} that failed over to a remote cluster while
 * the local one was down hands out a unique of that remote cluster: once reads are local again,
 * the {@code cas} is compared with another server's counter (normally {@code EXISTS}, and the
 * client retries as after any race).
 *
 * <p><b>One reply per forwarded request.</b> Backend connections are shared by clients and
 * pipelined, replies matched first-in first-out; a request memcached answered twice or not at
 * all would hand later replies to the wrong clients. So requests are forwarded loud (quiet
 * tokens stripped, see {@code Quiet}), tokenized as memcached 1.6.18 tokenizes them (up to a
 * NUL), and what memcached would refuse without reading its value (a meta line of 20 tokens or
 * more, a key token over 250 bytes, a duplicate or unknown meta flag, a number it cannot read) or
 * would close the connection for (a line over 2048 bytes other than {@code get}/{@code gets})
 * is answered by the proxy and never forwarded; see {@code TextRequestDecoder}.
 *
 * <p>Other notes:
 * <ul>
 *   <li><b>gat, mg with T.</b> They touch the item on the one cluster that serves the read only.</li>
 *   <li><b>Oversized SET.</b> memcached also unlinks the old item when it refuses a too-large
 *       {@code set}; the proxy refuses what is over {@code max-frame-bytes} without touching a
 *       backend, so the old value stays. Set {@code max-frame-bytes} to the servers' item size
 *       ({@code -I}, 1 MiB by default); values a little under it that do not fit with memcached's
 *       item overhead are refused by the servers themselves, with the same error.</li>
 * </ul>
 */
@Extension
public final class MemcachedProtocol implements Protocol {
    private static final NodeSync NODE_SYNC = new MemcachedNodeSync();
    /** Backend connections that carry text and meta requests. */
    static final int TEXT_LANE = 0;
    /** Backend connections that carry binary requests. */
    static final int BINARY_LANE = 1;

    @Override
    public String name() {
        return "memcached";
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        return new MemcachedClientCodec(limits);
    }

    @Override
    public int backendLanes() {
        return 2;
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return new MemcachedBackendCodec(lane == BINARY_LANE);
    }

    /** Values and flags compared, cas ignored; repairs with meta commands (md, mg, ms) on the text lane. */
    @Override
    public ReplyVerification verification() {
        return MemcachedVerification.INSTANCE;
    }

    /** flush_all in the text protocol, on a text (lane 0) connection. */
    /** Identity from stats; copy by lru_crawler metadump, mg and ms. */
    @Override
    public NodeSync nodeSync() {
        return NODE_SYNC;
    }

    @Override
    public byte[] flushRequest() {
        return "flush_all\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
