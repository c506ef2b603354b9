package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.channel.Channel;

/**
 * Whether a client may connect ({@code max-clients}) and whether it may use the backends
 * ({@code auth}: until it authenticates, only {@link CommandKind#ADMIN} commands, which include
 * the protocol's own authentication commands, are served). Lives on the client's event loop.
 */
final class Admission {
    private final Listener listener;
    private boolean counted;
    private boolean authenticated;

    Admission(Listener listener) {
        this.listener = listener;
    }

    /** Takes a client place for {@code channel}; false, counted as rejected, when {@code max-clients} is reached. */
    boolean enter(Channel channel) {
        if (!listener.admit()) {
            listener.metrics().rejected.mark();
            return false;
        }
        counted = true;
        listener.clientChannels.add(channel);
        listener.metrics().accepted.mark();
        listener.metrics().connections.inc();
        return true;
    }

    /** The client left: its place is free again. */
    void leave() {
        if (counted) {
            counted = false;
            listener.metrics().connections.dec();
            listener.release();
        }
    }

    /** Whether {@code command} is refused because the client has not authenticated yet. */
    boolean refuses(Command command) {
        return !authenticated && command.kind() != CommandKind.ADMIN && authRequired();
    }

    boolean authRequired() {
        return listener.config().auth() != null;
    }

    boolean authenticated() {
        return authenticated || !authRequired();
    }

    /** Checks credentials against the listener's; a failure is counted. */
    boolean authenticate(String username, String password) {
        boolean accepted = authRequired() && listener.config().auth().accepts(username, password);
        if (accepted) {
            authenticated = true;
        } else {
            listener.metrics().authFailures.mark();
        }
        return accepted;
    }
}
