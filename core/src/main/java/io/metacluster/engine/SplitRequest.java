package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandSplitter;
import io.metacluster.spi.Topology;
import io.netty.buffer.ByteBufAllocator;

import java.util.Arrays;

/**
 * A request whose keys are on several nodes of a sharded cluster (memcached multi-get, Redis
 * MGET, DEL, MSET): one part per node (per hash slot for a Redis Cluster: {@link Topology#groupOfKey}),
 * made by the protocol ({@link CommandSplitter#part}), and their replies joined into the one the whole command would have had ({@link CommandSplitter#join}), by a
 * {@link NodeGather}: a part answered with an error answers the whole request with it, and a
 * part that cannot be sent fails it (a read then tries another cluster; a write part is kept
 * for replay by its node, as any write it misses). A split write is not atomic across nodes.
 */
final class SplitRequest {
    private SplitRequest() {
    }

    /**
     * Sends {@code whole} as one part per node its keys are on, {@code answer} to hear the joined
     * reply. Returns false, having sent nothing, when the protocol cannot split it.
     */
    static boolean send(Command whole, LoopCluster cluster, ClientCodec codec, long clientId, ReplyListener answer,
                        boolean write) {
        CommandSplitter splitter = codec.splitter();
        if (splitter == null) {
            return false;
        }
        int keys = whole.keyCount();
        // keys of one group share a part: a node's for a ring, a hash slot's for a Redis Cluster
        int[] groupOfKey = new int[keys];
        int[] groups = new int[keys];
        int groupCount = 0;
        for (int k = 0; k < keys; k++) {
            groupOfKey[k] = cluster.groupOfKey(whole, k);
            groups[groupCount++] = groupOfKey[k];
        }
        Arrays.sort(groups, 0, groupCount);
        int partCount = 0;
        for (int g = 0; g < groupCount; g++) {
            if (g == 0 || groups[g] != groups[g - 1]) {
                groups[partCount++] = groups[g];
            }
        }
        int[] keysInGroup = new int[partCount];
        for (int k = 0; k < keys; k++) {
            keysInGroup[Arrays.binarySearch(groups, 0, partCount, groupOfKey[k])]++;
        }
        int[] nodes = new int[partCount];
        int[][] keysOfParts = new int[partCount][];
        Command[] parts = new Command[partCount];
        for (int p = 0; p < partCount; p++) {
            int[] ofPart = new int[keysInGroup[p]];
            for (int k = 0, at = 0; k < keys; k++) {
                if (groupOfKey[k] == groups[p]) {
                    ofPart[at++] = k;
                }
            }
            int node = cluster.nodeOfKey(whole, ofPart[0]);
            Command part = node == Topology.SPANS_NODES ? null : splitter.part(whole, ofPart, ofPart.length);
            if (part == null) {
                for (int i = 0; i < p; i++) {
                    parts[i].release();
                }
                return false;
            }
            nodes[p] = node;
            keysOfParts[p] = ofPart;
            parts[p] = part;
        }
        ByteBufAllocator alloc = whole.frame().alloc();
        NodeGather gather = new NodeGather(parts.length, answer, replies -> splitter.join(whole, replies, keysOfParts, alloc),
                () -> {
                    for (Command part : parts) {
                        part.release();
                    }
                });
        for (int i = 0; i < parts.length; i++) {
            cluster.sendTo(cluster.readerOf(nodes[i], parts[i], clientId, write), parts[i], clientId, gather.member(i), write);
        }
        return true;
    }
}
