package io.metacluster.redis;

import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

/**
 * XREADGROUP of new entries ({@code >} for every stream) as the other clusters must repeat it:
 * which entries a group hands out is decided by one cluster (the read cluster), so the others get
 * what Redis 7.0 itself replicates to its replicas for it, built from the read cluster's reply:
 * <ul>
 *   <li>without NOACK, per stream, {@code XCLAIM key group consumer 0 id... TIME t RETRYCOUNT 1
 *       FORCE JUSTID LASTID last}: the entries enter the consumer's pending list with delivery
 *       count 1 (what a new delivery always has) and delivery time {@code t}, and the group's last
 *       delivered ID moves up to the last one (XCLAIM's LASTID never moves it back);</li>
 *   <li>with NOACK, per stream, {@code XGROUP CREATECONSUMER key group consumer} and
 *       {@code XGROUP SETID key group last}.</li>
 * </ul>
 * Several streams make one {@code MULTI ... EXEC} block, as Redis wraps them. The delivery time
 * is not in the reply, so the proxy chooses {@code t} (its clock when the reply came) and the
 * XCLAIM goes to the read cluster too ({@link Effects#alsoToServer}): every cluster then holds the
 * same pending list, times included. Reads of a consumer's history (an ID other than {@code >})
 * are not decided here: they reach every cluster as a write, as before (Redis does not replicate
 * their delivery counts at all).
 *
 * <p>Stateless; runs once per such reply.
 */
final class GroupReads {
    /** The name of a propagation that sets delivery times, which the serving cluster gets too. */
    static final String CLAIMS = "XCLAIM";

    private GroupReads() {
    }

    /**
     * Whether the XREADGROUP at {@code args} reads only new entries ({@code >} for every stream),
     * which the read cluster decides; false for a history read, or a request Redis will refuse.
     */
    static boolean decided(ByteBuf frame, int[] args, int count) {
        int streams = streamsArg(frame, args, count);
        int n = count - streams;
        if (streams < 0 || n <= 0 || n % 2 != 0) {
            return false;
        }
        for (int i = streams + n / 2; i < count; i++) {
            if (!KeyFinder.argEquals(frame, args, i, ">")) {
                return false;
            }
        }
        return true;
    }

    /** The first key after STREAMS, -1 when there is none; options parsed as Redis's xreadCommand does. */
    private static int streamsArg(ByteBuf frame, int[] args, int count) {
        for (int i = 1; i < count; ) {
            if (KeyFinder.argEquals(frame, args, i, "STREAMS")) {
                return i + 1;
            }
            i += KeyFinder.argEquals(frame, args, i, "GROUP") ? 3
                    : KeyFinder.argEquals(frame, args, i, "COUNT") || KeyFinder.argEquals(frame, args, i, "BLOCK") ? 2 : 1;
        }
        return -1;
    }

    /**
     * The write that repeats {@code command} (an XREADGROUP the read cluster answered with
     * {@code reply}, neither nil nor an error) on the other clusters, delivery time {@code now};
     * {@code null} when it delivered nothing.
     */
    static Command effect(Command command, CommandInfo info, ByteBuf reply, ByteBufAllocator alloc, long now)
            throws ProtocolException {
        ByteBuf frame = command.frame();
        int[] args = MultibulkArgs.of(frame);
        int count = args.length / 2;
        int group = -1;
        boolean noack = false;
        for (int i = 1; i < count && !KeyFinder.argEquals(frame, args, i, "STREAMS"); i++) {
            if (KeyFinder.argEquals(frame, args, i, "GROUP")) {
                group = i + 1;
                i += 2;
            } else if (KeyFinder.argEquals(frame, args, i, "COUNT") || KeyFinder.argEquals(frame, args, i, "BLOCK")) {
                i++;
            } else {
                noack |= KeyFinder.argEquals(frame, args, i, "NOACK");
            }
        }
        Effects.Part groupName = Effects.arg(frame, group);
        Effects.Part consumer = Effects.arg(frame, group + 1);
        List<Command> writes = new ArrayList<>();
        int at = reply.readerIndex();
        boolean map = reply.getByte(at) == '%'; // RESP3: key => entries; RESP2: [key, entries] pairs
        int element = Effects.first(reply, at);
        for (int s = Effects.count(reply, at); s > 0; s--) {
            int key = map ? element : Effects.first(reply, element);
            int entries = key + RespSplitter.lengthOf(reply, key);
            element = map ? entries + RespSplitter.lengthOf(reply, entries) : element + RespSplitter.lengthOf(reply, element);
            List<Effects.Part> ids = new ArrayList<>();
            int entry = Effects.first(reply, entries);
            for (int e = Effects.count(reply, entries); e > 0; e--) {
                ids.add(Effects.bulk(reply, Effects.first(reply, entry)));
                entry += RespSplitter.lengthOf(reply, entry);
            }
            if (ids.isEmpty()) {
                continue;
            }
            Effects.Part stream = Effects.bulk(reply, key);
            Effects.Part last = ids.get(ids.size() - 1);
            if (noack) {
                writes.add(Effects.request("XGROUP", info, command.lane(), alloc, 2,
                        Effects.verb("XGROUP"), Effects.verb("CREATECONSUMER"), stream, groupName, consumer));
                writes.add(Effects.request("XGROUP", info, command.lane(), alloc, 2,
                        Effects.verb("XGROUP"), Effects.verb("SETID"), stream, groupName, last));
            } else {
                List<Effects.Part> parts = new ArrayList<>(List.of(Effects.verb("XCLAIM"), stream, groupName, consumer,
                        Effects.verb("0")));
                parts.addAll(ids);
                parts.addAll(List.of(Effects.verb("TIME"), Effects.verb(Long.toString(now)), Effects.verb("RETRYCOUNT"),
                        Effects.verb("1"), Effects.verb("FORCE"), Effects.verb("JUSTID"), Effects.verb("LASTID"), last));
                writes.add(Effects.request(CLAIMS, info, command.lane(), alloc, 1, parts.toArray(Effects.Part[]::new)));
            }
        }
        if (writes.isEmpty()) {
            return null;
        }
        return writes.size() == 1 ? writes.get(0) : Effects.multi(noack ? "XGROUP" : CLAIMS, writes, alloc, command.lane());
    }
}
