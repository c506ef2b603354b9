package io.metacluster.spi;

/**
 * One client connection of a listener as any other connection of that listener may see it: what
 * Redis's {@code CLIENT LIST} and {@code CLIENT KILL} need of the server's other clients. Handed out
 * by {@link ClientContext#clients()}.
 *
 * <p>Contract: every method may be called from any thread, at any time, including after the
 * connection closed (then {@link #kill()} does nothing). Values are recent, each read on its own;
 * together they are not one consistent snapshot.
 */
public interface ClientPeer {
    /** The same number as that connection's {@link ClientContext#id()}. */
    long id();

    /** Its remote address as {@code host:port}. */
    String remoteAddress();

    /** The local address it connected to, as {@code host:port}. */
    String localAddress();

    /** Seconds since it connected. */
    long ageSeconds();

    /** Seconds since it last sent anything. */
    long idleSeconds();

    /**
     * What that connection's codec last gave {@link ClientContext#publish}, or {@code null} if it
     * published nothing. The codec that reads it owns its type and its thread safety.
     */
    Object published();

    /** Closes the connection now: what it sent and was not answered yet is dropped. */
    void kill();
}
