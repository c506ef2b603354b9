package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientContext;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The writes of one node's replay log as stored (in memory or on disk, each with the requests
 * that put it on its lane) read back into commands, and the protocol's flush request in that
 * form. Stateless apart from what it is built with; any thread.
 */
final class ReplayEntries {
    private static final Logger log = LoggerFactory.getLogger(ReplayEntries.class);

    private final Node node;
    private final Protocol protocol;
    /** The options of the listener that fronts the node's cluster: a codec built without them may not read its own writes. */
    private final Object protocolOptions;

    ReplayEntries(Node node, Protocol protocol, Object protocolOptions) {
        this.node = node;
        this.protocol = protocol;
        this.protocolOptions = protocolOptions;
    }

    /**
     * One entry of the file as the write it was. The entry is read as a client would send it, by
     * a codec of its own (a codec may fix its dialect on the first bytes it sees: memcached text
     * or binary), its local answers given and dropped: a Redis transaction was recorded as its
     * whole MULTI ... EXEC block, which only decodes back into one write that way.
     */
    Command decode(byte[] frame) {
        ByteBuf buffer = Unpooled.wrappedBuffer(frame);
        ClientCodec codec = decoder();
        try {
            while (buffer.isReadable()) {
                Command command = codec.decode(buffer);
                if (command == null) {
                    break;
                }
                if (command.kind() == CommandKind.WRITE) {
                    if (buffer.isReadable()) {
                        log.warn("dropping {} trailing bytes of an entry of the replay log of node {}",
                                buffer.readableBytes(), node);
                    }
                    return command;
                }
                ByteBuf answer = command.kind() == CommandKind.ADMIN ? codec.answer(command, REPLAY_CONTEXT) : null;
                ReferenceCountUtil.release(answer);
                command.release();
            }
            log.warn("dropping an entry of the replay log of node {} that holds no write", node);
        } catch (ProtocolException e) {
            log.warn("dropping an unreadable entry of the replay log of node {}: {}", node, e.getMessage());
        } finally {
            codec.closed();
            buffer.release();
        }
        return null;
    }

    /** The "client" of a replay log entry being read back: it wrote that entry once, so it is trusted. */
    private static final ClientContext REPLAY_CONTEXT = new ClientContext() {
        @Override
        public ByteBufAllocator alloc() {
            return UnpooledByteBufAllocator.DEFAULT;
        }

        @Override
        public long id() {
            return 0;
        }

        @Override
        public String remoteAddress() {
            return "replay-log";
        }

        @Override
        public String listenerName() {
            return "replay-log";
        }

        @Override
        public void closeAfterReply() {
        }
    };

    private ClientCodec decoder() {
        return protocol.newClientCodec(new ClientLimits(Long.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE),
                protocolOptions);
    }

    /** The protocol's flush request, once per lane it decodes onto. */
    List<Command> flushRequests() {
        byte[] flush = protocol.flushRequest();
        List<Command> flushes = new ArrayList<>();
        boolean[] seen = new boolean[protocol.backendLanes()];
        for (int lane = 0; lane < seen.length; lane++) {
            byte[] before = protocol.laneRequests(lane);
            byte[] request = Arrays.copyOf(before, before.length + flush.length);
            System.arraycopy(flush, 0, request, before.length, flush.length);
            Command command = decode(request);
            if (command == null) {
                throw new IllegalStateException("protocol " + protocol.name() + " cannot read its own flush request");
            }
            if (seen[command.lane()]) {
                command.release();
            } else {
                seen[command.lane()] = true;
                flushes.add(command);
            }
        }
        return flushes;
    }
}
