package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandSplitter;
import io.netty.buffer.ByteBufAllocator;

/**
 * A request whose keys are on several nodes of a sharded cluster (memcached multi-get, Redis
 * MGET, DEL, MSET): one part per node, made by the protocol ({@link CommandSplitter#part}), and their
 * replies joined into the one the whole command would have had ({@link CommandSplitter#join}), by a
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
        int[] nodeOfKey = new int[keys];
        int[] keysOnNode = new int[cluster.nodeCount()];
        for (int k = 0; k < keys; k++) {
            nodeOfKey[k] = cluster.nodeOfKey(whole, k);
            keysOnNode[nodeOfKey[k]]++;
        }
        int partCount = 0;
        for (int count : keysOnNode) {
            partCount += count > 0 ? 1 : 0;
        }
        int[] nodes = new int[partCount];
        int[][] keysOfParts = new int[partCount][];
        Command[] parts = new Command[partCount];
        int p = 0;
        for (int node = 0; node < keysOnNode.length; node++) {
            if (keysOnNode[node] == 0) {
                continue;
            }
            int[] ofPart = new int[keysOnNode[node]];
            for (int k = 0, at = 0; k < keys; k++) {
                if (nodeOfKey[k] == node) {
                    ofPart[at++] = k;
                }
            }
            Command part = splitter.part(whole, ofPart, ofPart.length);
            if (part == null) {
                for (int i = 0; i < p; i++) {
                    parts[i].release();
                }
                return false;
            }
            nodes[p] = node;
            keysOfParts[p] = ofPart;
            parts[p++] = part;
        }
        ByteBufAllocator alloc = whole.frame().alloc();
        NodeGather gather = new NodeGather(parts.length, answer, replies -> splitter.join(whole, replies, keysOfParts, alloc),
                () -> {
                    for (Command part : parts) {
                        part.release();
                    }
                });
        for (int i = 0; i < parts.length; i++) {
            cluster.sendTo(nodes[i], parts[i], clientId, gather.member(i), write);
        }
        return true;
    }
}
