package io.metacluster.engine;

import io.metacluster.spi.Command;

/**
 * The requests written to one node connection and waiting for their replies, oldest first
 * (replies come back in order). A ring of parallel arrays, so that a request in flight costs
 * no object of its own. Touched only from the connection's event loop, but for
 * {@link #directWrites}, which any thread may read.
 */
final class InFlight {
    private static final byte NOT_A_WRITE = 0;
    /** A client's write sent directly: if its reply never comes, the node's replay log keeps it. */
    private static final byte WRITE = 1;
    /** A client's write sent directly and already in the replay log (the node looked hung). */
    private static final byte WRITE_RECORDED = 2;

    private Command[] commands = new Command[64];
    private ReplyListener[] listeners = new ReplyListener[64];
    private long[] sentAtNanos = new long[64];
    private byte[] writes = new byte[64];
    private int head;
    private int size;
    /**
     * Clients' writes among these requests, published for other event loops: the node's replay
     * must not start while one may still be lost and recorded (see {@link ReplayLog#catchUp}).
     * Written only by this connection's loop.
     */
    private volatile int directWrites;

    void add(Command command, ReplyListener listener, long sentAt, boolean write) {
        if (size == commands.length) {
            grow();
        }
        int at = (head + size) & (commands.length - 1);
        commands[at] = command;
        listeners[at] = listener;
        sentAtNanos[at] = sentAt;
        writes[at] = write ? WRITE : NOT_A_WRITE;
        size++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The oldest request's command; the queue must not be empty. */
    Command command() {
        return commands[head];
    }

    ReplyListener listener() {
        return listeners[head];
    }

    long sentAtNanos() {
        return sentAtNanos[head];
    }

    /** Whether the oldest request is a client's write that the replay log does not hold yet. */
    boolean write() {
        return writes[head] == WRITE;
    }

    /** Whether the oldest request is a client's write sent directly (recorded since or not). */
    boolean directWrite() {
        return writes[head] != NOT_A_WRITE;
    }

    /** Clients' writes sent directly and not answered yet; any thread. */
    int directWrites() {
        return directWrites;
    }

    /**
     * Counts a client's write about to be sent directly, before the caller looks at the node's
     * replay state (see {@link ReplayLog#catchUp}); {@link #add} with {@code write} then takes it
     * over, {@link #unreserveWrite} gives it back.
     */
    void reserveWrite() {
        directWrites = directWrites + 1;
    }

    void unreserveWrite() {
        directWrites = directWrites - 1;
    }

    /**
     * Records every client's write in flight in {@code replay} (the node looks hung: a crash of
     * the daemon must not lose them), once: it is not recorded again if its reply never comes.
     */
    void recordWrites(ReplayLog replay) {
        for (int i = 0; i < size; i++) {
            int at = (head + i) & (commands.length - 1);
            if (writes[at] == WRITE) {
                writes[at] = WRITE_RECORDED;
                replay.recordLost(commands[at]);
            }
        }
    }

    /** The oldest request was answered: a write the replay log holds since the node looked hung leaves the log too. */
    void answered(ReplayLog replay) {
        if (writes[head] == WRITE_RECORDED) {
            replay.answered(commands[head]);
        }
        removeOldest();
    }

    void removeOldest() {
        if (writes[head] != NOT_A_WRITE) {
            directWrites = directWrites - 1;
        }
        commands[head] = null;
        listeners[head] = null;
        head = (head + 1) & (commands.length - 1);
        size--;
    }

    private void grow() {
        int capacity = commands.length * 2;
        Command[] newCommands = new Command[capacity];
        ReplyListener[] newListeners = new ReplyListener[capacity];
        long[] newSentAt = new long[capacity];
        byte[] newWrites = new byte[capacity];
        for (int i = 0; i < size; i++) {
            int from = (head + i) & (commands.length - 1);
            newCommands[i] = commands[from];
            newListeners[i] = listeners[from];
            newSentAt[i] = sentAtNanos[from];
            newWrites[i] = writes[from];
        }
        commands = newCommands;
        listeners = newListeners;
        sentAtNanos = newSentAt;
        writes = newWrites;
        head = 0;
    }
}
