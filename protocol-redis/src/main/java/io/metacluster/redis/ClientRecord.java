package io.metacluster.redis;

import io.metacluster.spi.ClientPeer;

/**
 * What one client connection shows of itself in other connections' {@code CLIENT LIST}: its name,
 * user, database, protocol, transaction and last command. Written on its own event loop (the
 * state after each command the proxy answers, the command name as each request is decoded), read
 * by any connection of the listener through {@link ClientPeer#published()}; the fields are
 * volatile (but {@link #command}), so a reader sees recent values, not one consistent snapshot (as in Redis, where the
 * line of another client can be stale by a command).
 */
final class ClientRecord {
    /** {@code null} when the client has no name. */
    volatile String name;
    volatile String user = "default";
    volatile int database;
    volatile boolean resp3;
    /** Channels, patterns and shard channels subscribed to ({@link Subscriptions}). */
    volatile int sub;
    volatile int psub;
    volatile int ssub;
    /** Commands queued in MULTI, or -1. */
    volatile int multi = -1;
    /** It sent MONITOR (flag {@code O}). */
    volatile boolean monitor;
    /**
     * The last command's name as Redis prints it ({@code client|list}). Set as each request is
     * decoded, so not volatile, to cost nothing per request: a String is safely published by its
     * final fields, and a reader may see the one before.
     */
    String command = "NULL";

    /** The record {@code peer} published, or a fresh one: a client that never ran a proxy-answered command. */
    static ClientRecord of(ClientPeer peer) {
        return peer.published() instanceof ClientRecord record ? record : new ClientRecord();
    }

    /** Its type for {@code CLIENT LIST/KILL TYPE}: {@code pubsub} while subscribed to anything, as in Redis. */
    String type() {
        return sub + psub + ssub > 0 ? "pubsub" : "normal";
    }

    /**
     * One line of {@code CLIENT LIST} / {@code CLIENT INFO}, with Redis 7.0's fields in its order;
     * the fields about Redis's own buffers and file descriptor, which the proxy does not have, are
     * zero (fd -1, as Redis prints for a client without a socket of its own).
     */
    String line(ClientPeer peer) {
        String n = name;
        int queued = multi;
        int channels = sub;
        int patterns = psub;
        int shards = ssub;
        boolean subscribed = channels + patterns + shards > 0;
        String flags = (monitor ? "O" : "") + (subscribed ? "P" : "") + (queued >= 0 ? "x" : ""); // Redis's order
        return "id=" + peer.id() + " addr=" + peer.remoteAddress() + " laddr=" + peer.localAddress() + " fd=-1"
                + " name=" + (n == null ? "" : n) + " age=" + peer.ageSeconds() + " idle=" + peer.idleSeconds()
                + " flags=" + (flags.isEmpty() ? "N" : flags) + " db=" + database + " sub=" + channels + " psub=" + patterns
                + " ssub=" + shards + " multi=" + queued
                + " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r"
                + " cmd=" + command + " user=" + user + " redir=-1 resp=" + (resp3 ? 3 : 2) + "\n";
    }
}
