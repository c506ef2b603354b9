package io.metacluster.engine;

import io.metacluster.spi.Command;

import java.util.ArrayDeque;

/**
 * Finished requests of one client, kept for its next ones: a busy client would otherwise
 * allocate one per command. A request comes back only when nothing refers to it any more (see
 * {@link Slot#dequeued}). Lives on the client's event loop.
 */
final class RequestPool {
    private static final int MAX_SPARES = 32;

    private final ArrayDeque<ReadRequest> spareReads = new ArrayDeque<>();
    private final ArrayDeque<WriteFanout> spareWrites = new ArrayDeque<>();
    private boolean closed;

    /** A read (or conditional write) request for {@code command}: a spare one, or a new one. */
    ReadRequest read(Command command, RequestContext context) {
        ReadRequest read = spareReads.poll();
        return (read != null ? read : new ReadRequest(context)).of(command);
    }

    /** A write fan-out for {@code command}: a spare one, or a new one. */
    WriteFanout write(Command command, ClientSession session) {
        WriteFanout write = spareWrites.poll();
        return (write != null ? write : new WriteFanout(session)).of(command);
    }

    void reuse(ReadRequest read) {
        if (!closed && spareReads.size() < MAX_SPARES) {
            spareReads.push(read);
        }
    }

    void reuse(WriteFanout write) {
        if (!closed && spareWrites.size() < MAX_SPARES) {
            spareWrites.push(write);
        }
    }

    /** The client left: nothing is kept any more. */
    void close() {
        closed = true;
        spareReads.clear();
        spareWrites.clear();
    }
}
