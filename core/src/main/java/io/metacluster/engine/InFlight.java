package io.metacluster.engine;

import io.metacluster.spi.Command;

/**
 * The requests written to one node connection and waiting for their replies, oldest first
 * (replies come back in order). A ring of parallel arrays, so that a request in flight costs
 * no object of its own. Touched only from the connection's event loop.
 */
final class InFlight {
    private Command[] commands = new Command[64];
    private ReplyListener[] listeners = new ReplyListener[64];
    private long[] sentAtNanos = new long[64];
    /** A client's write: if its reply never comes, the node's replay log keeps it. */
    private boolean[] writes = new boolean[64];
    private int head;
    private int size;

    void add(Command command, ReplyListener listener, long sentAt, boolean write) {
        if (size == commands.length) {
            grow();
        }
        int at = (head + size) & (commands.length - 1);
        commands[at] = command;
        listeners[at] = listener;
        sentAtNanos[at] = sentAt;
        writes[at] = write;
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

    boolean write() {
        return writes[head];
    }

    /**
     * Records every client's write in flight in {@code replay} (the node looks hung: a crash of
     * the daemon must not lose them), once: it is not recorded again if its reply never comes.
     */
    void recordWrites(ReplayLog replay) {
        for (int i = 0; i < size; i++) {
            int at = (head + i) & (commands.length - 1);
            if (writes[at]) {
                writes[at] = false;
                replay.record(commands[at]);
            }
        }
    }

    void removeOldest() {
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
        boolean[] newWrites = new boolean[capacity];
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
