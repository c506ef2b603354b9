package io.metacluster.engine;

import io.metacluster.spi.Command;

/** What a {@link PinnedMode}'s conversation hands back to its client's session. */
interface PinnedSession {
    /**
     * Sends {@code write} (owned from now on) to every cluster but the pinned one (or to every one, the
     * pinned one first); runs {@code whenSent} once it went out everywhere, maybe at once.
     */
    void propagate(Command write, Runnable whenSent);

    /** Routes {@code command}, held behind a conversation's end, as a newly read one. */
    void reroute(Command command);

    /** {@link io.metacluster.spi.Pinning#identify} went out on the pinned connection: {@link #identified} follows. */
    default void identifying() {
    }

    /** The pinned connection's number on its node ({@link io.metacluster.spi.Pinning#identity}), or -1 once it is closed. */
    default void identified(long identity) {
    }
}
