package io.metacluster.memcached;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Protocol;
import org.pf4j.Extension;

/**
 * memcached 1.6 as a listener protocol ({@code protocol: memcached}): the text protocol, the meta
 * commands and the binary protocol, forwarded zero-copy. Stateless and thread-safe.
 *
 * <p>Routing: storage commands, {@code delete}, {@code incr}/{@code decr}, {@code touch},
 * {@code flush_all}, {@code ms}/{@code md}/{@code ma} and their binary opcodes are writes; the
 * get family ({@code get gets gat gats}, {@code mg}, {@code me}, binary Get/GetK/GAT/GATK and
 * quiet twins) are reads, a multi-key {@code get} going whole to one cluster; {@code version},
 * {@code verbosity}, {@code quit}, {@code stats}, {@code mn}, binary Noop/Version/Quit/
 * Verbosity/Stat are answered by the proxy. Local answers keep their place in the reply order,
 * so {@code mn} and Noop are correct fences after quiet requests.
 *
 * <p>Design notes for the engine work still to come:
 * <ul>
 *   <li><b>cas.</b> A cas unique is only meaningful on the cluster that issued it (the one that
 *       served the client's {@code gets}). {@code cas} should go to the client's read cluster
 *       and, once it answers {@code STORED}, be propagated to the other clusters as a plain
 *       {@code set} with the same flags and exptime (same for binary Set with a cas, and
 *       {@code ms} with {@code C}). Until the engine can do that, {@code cas} is a plain write
 *       sent to every cluster, where all but the issuing cluster will answer {@code EXISTS}.</li>
 *   <li><b>gat, mg with T.</b> They touch the item on the one cluster that serves the read only.</li>
 *   <li><b>Text and binary share no backend connection.</b> memcached picks a connection's
 *       protocol from its first byte, so binary requests need backend connections of their own.</li>
 *   <li><b>Oversized SET.</b> memcached also unlinks the old item when it refuses a too-large
 *       {@code set}; the proxy refuses without touching a backend, so the old value stays.</li>
 * </ul>
 */
@Extension
public final class MemcachedProtocol implements Protocol {

    @Override
    public String name() {
        return "memcached";
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        return new MemcachedClientCodec(limits);
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        return new MemcachedBackendCodec();
    }
}
