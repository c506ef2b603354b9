package io.metacluster.redis;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

/**
 * What one client connection chose with HELLO and SELECT, and the backend lane that follows from
 * it: backend connections are shared, so a client's protocol version and database are not sent
 * to them but chosen by lane, one lane per (database, protocol version) whose connections were
 * switched by their handshake ({@link RedisBackendCodec}). Lane {@code 2 * database + (RESP3 ? 1
 * : 0)}; lane 0 is RESP2 in the cluster's configured database, as before lanes existed.
 *
 * <p>Per connection, confined to its event loop.
 */
final class Session {
    /** Databases a client may SELECT: Redis's default {@code databases 16}. */
    static final int DATABASES = 16;
    /** Every (database, protocol) pair has a lane. */
    static final int LANES = 2 * DATABASES;

    /** Per lane, the requests that put a new client's session on it. */
    private static final byte[][] LANE_REQUESTS = new byte[LANES][];

    static {
        for (int lane = 0; lane < LANES; lane++) {
            ByteBuf requests = Unpooled.buffer();
            if (databaseOf(lane) != 0) {
                requests.writeBytes(request("SELECT", Integer.toString(databaseOf(lane))));
            }
            if (resp3(lane)) {
                requests.writeBytes(request("HELLO", "3"));
            }
            LANE_REQUESTS[lane] = ByteBufUtil.getBytes(requests);
            requests.release();
        }
    }

    private boolean resp3;
    private int database;
    private int lane;

    /** The lane of the client's requests now. */
    int lane() {
        return lane;
    }

    boolean resp3() {
        return resp3;
    }

    int database() {
        return database;
    }

    /** HELLO 2 or HELLO 3. */
    void protocol(boolean resp3) {
        this.resp3 = resp3;
        lane = lane(database, resp3);
    }

    /** SELECT, with {@code database} in range (0 to {@link #DATABASES} - 1). */
    void select(int database) {
        this.database = database;
        lane = lane(database, resp3);
    }

    /** RESET: RESP2 in database 0, as a new connection. */
    void reset() {
        protocol(false);
        select(0);
    }

    /** See {@link io.metacluster.spi.Protocol#laneRequests}; shared, not to be modified. */
    static byte[] laneRequests(int lane) {
        return LANE_REQUESTS[lane];
    }

    private static byte[] request(String... args) {
        ByteBuf request = RespWriter.command(UnpooledByteBufAllocator.DEFAULT, args);
        try {
            return ByteBufUtil.getBytes(request);
        } finally {
            request.release();
        }
    }

    static int lane(int database, boolean resp3) {
        return 2 * database + (resp3 ? 1 : 0);
    }

    /** The database, counted from the cluster's configured one, that a lane's connections select. */
    static int databaseOf(int lane) {
        return lane >> 1;
    }

    /** Whether a lane's connections speak RESP3. */
    static boolean resp3(int lane) {
        return (lane & 1) != 0;
    }
}
