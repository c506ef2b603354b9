package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.util.List;

/**
 * A protocol's side of read verification ({@link Protocol#verification()}): whether a read's
 * replies can be compared, how, and the commands that repair a diverged key. The
 * {@link ReadVerifier} decides what to sample, when and where; this decides what two replies
 * mean, so that the verifier holds no protocol knowledge.
 *
 * <p><b>Threads.</b> Stateless and shared by every event loop: thread-safe. Every method is
 * called on an event loop and must not block.
 *
 * <p><b>Buffers.</b> Commands and replies passed in are borrowed: neither retained nor released
 * by these methods, and only valid during the call. Every {@link Command} returned is new and
 * owned by the caller, who sends it with {@link VerifyContext#send} and releases it exactly
 * once after its reply (or failure) arrived. Keys passed in are slices of a live command.
 *
 * <p><b>Repairs</b> are ordinary write commands of the protocol, built here and sent by the
 * verifier to one cluster at a time. They do not pass through the engine's write tracking, so a
 * protocol that can offers conditional ones ({@link #restoreIf}, {@link #deleteIf}): applied only
 * if the target still holds what was captured from it, so that a write that reached it since
 * (from this daemon or another) is never overwritten.
 *
 * <p><b>Scrub.</b> {@link #scrubProbe} and {@link #scrubRead} build, for a key found by walking a
 * node, the read whose replies say whether clusters hold the same value. {@link #scrubFingerprint}
 * is the scrub's cheap first look, sent to every cluster at once: byte-equal answers settle the
 * key, anything else sends it to the probe and the logical comparison.
 */
public interface ReplyVerification {

    /** What two replies to the same read say about the clusters that gave them. */
    enum Verdict {
        /** The same answer (byte for byte, or in the sense the command defines, e.g. the same set). */
        SAME,
        /** Different answers: the clusters may hold different data for the read's keys. */
        DIFFERENT,
        /** Nothing can be concluded: an error reply (LOADING, OOM, a busy script...), or a reply this code cannot read. */
        INCOMPARABLE
    }

    /**
     * Whether replies to {@code read} can be compared at all. False for replies that differ by
     * nature (TTL, random members, cursors, server state), for reads without keys (there is no
     * key to attribute a difference to, nor to repair), and for anything this protocol cannot
     * compare. Cheap: called for every sampled read.
     */
    boolean verifiable(Command read);

    /**
     * Compares two clusters' replies to {@code read}, which must be {@link #verifiable}: byte-equal
     * replies are the same; an error on either side concludes nothing, unless it
     * {@link #errorDescribesData describes the data}, which makes the replies different; replies
     * that differ otherwise are for {@link #compareDifferent} to judge.
     */
    default Verdict compare(Command read, ByteBuf a, ByteBuf b) {
        if (ByteBufUtil.equals(a, b)) {
            return Verdict.SAME;
        }
        boolean errorA = isError(read, a);
        boolean errorB = isError(read, b);
        if (errorA || errorB) {
            // an error about the server (LOADING, OOM, a busy script) says nothing of the data; one about
            // the key (Redis WRONGTYPE: it holds another type) differs from any other answer
            boolean aIsData = !errorA || errorDescribesData(read, a);
            boolean bIsData = !errorB || errorDescribesData(read, b);
            return aIsData && bIsData ? Verdict.DIFFERENT : Verdict.INCOMPARABLE;
        }
        return compareDifferent(read, a, b);
    }

    /**
     * Whether {@code reply}, an {@link #isError error} reply to {@code read}, describes the key's
     * data rather than the server's state, so that against any other answer it is a divergence
     * (Redis {@code WRONGTYPE}: the key holds a value of another type on that cluster). By
     * default no error does.
     */
    default boolean errorDescribesData(Command read, ByteBuf reply) {
        return false;
    }

    /**
     * Two replies to {@code read} that are not byte-equal and neither an error: the same in the
     * sense the command defines (e.g. the same set in another order), different, or unreadable.
     */
    Verdict compareDifferent(Command read, ByteBuf a, ByteBuf b);

    /**
     * Whether {@code reply}, the answer to {@code request} ({@code null} when unknown), reports a
     * failure rather than a result: such a reply concludes nothing. The same rule as the
     * protocol's {@link BackendCodec#isError}, with the arguments in the same order.
     */
    boolean isError(Command request, ByteBuf reply);

    /** The command that deletes {@code key} (Redis {@code DEL}, memcached {@code md}). */
    Command delete(ByteBuf key, ByteBufAllocator alloc);

    /**
     * Commands that read everything needed to copy {@code key} to another cluster: value, type,
     * flags, remaining time to live (Redis {@code DUMP} and {@code PTTL}; memcached
     * {@code mg <key> v f t}). Sent to the source cluster in this order, on one connection.
     */
    List<Command> capture(ByteBuf key, ByteBufAllocator alloc);

    /**
     * The command that makes {@code key} on another cluster what {@link #capture} saw: a
     * replacing write keeping type and the remaining time to live, or {@link #delete} when the
     * key was absent.
     *
     * @param captured the replies to {@link #capture}'s commands, in order (borrowed)
     * @return the command, or {@code null} when the replies do not describe a state (an error,
     *         the key expiring between the capture commands, ...): then nothing is copied
     */
    Command restore(ByteBuf key, List<ByteBuf> captured, ByteBufAllocator alloc);

    /** What a cluster's reply to a conditional repair ({@link #restoreIf}, {@link #deleteIf}) says. */
    enum RepairOutcome {
        /** The target held the captured state and now holds the repaired one. */
        APPLIED,
        /** The target no longer held the captured state (a write reached it since): left as it is. */
        DECLINED,
        /** An error: nothing can be said. */
        FAILED
    }

    /**
     * A repair that makes {@code key} on a target cluster what {@code sourceCaptured} describes,
     * only if the target still holds what {@code targetCaptured} describes (both are replies to
     * {@link #capture}'s commands, on the source and on the target). By default unconditional:
     * {@link #restore}.
     *
     * @return the command, or {@code null} when the replies describe no state, or when both say
     *         the key is absent (nothing to do)
     * @since SPI 0.2.2
     */
    default Command restoreIf(ByteBuf key, List<ByteBuf> sourceCaptured, List<ByteBuf> targetCaptured,
                              ByteBufAllocator alloc) {
        return restore(key, sourceCaptured, alloc);
    }

    /**
     * Deletes {@code key} on a cluster only if it still holds what {@code targetCaptured} (replies
     * to {@link #capture} there) describes. By default unconditional: {@link #delete}.
     *
     * @return the command, or {@code null} when the key is absent there or the replies describe no state
     * @since SPI 0.2.2
     */
    default Command deleteIf(ByteBuf key, List<ByteBuf> targetCaptured, ByteBufAllocator alloc) {
        return delete(key, alloc);
    }

    /**
     * What {@code reply} to {@code repair} (a {@link #restoreIf}, {@link #deleteIf}, {@link #restore}
     * or {@link #delete} command) says. By default an error is a failure and anything else applied.
     *
     * @since SPI 0.2.2
     */
    default RepairOutcome repairOutcome(Command repair, ByteBuf reply) {
        return isError(repair, reply) ? RepairOutcome.FAILED : RepairOutcome.APPLIED;
    }

    /**
     * A read that tells what kind of value {@code key} holds, when {@link #scrubRead} needs it
     * (Redis {@code TYPE}); {@code null} (the default) when it does not.
     *
     * @since SPI 0.2.2
     */
    default Command scrubProbe(ByteBuf key, ByteBufAllocator alloc) {
        return null;
    }

    /**
     * A {@link #verifiable} read of {@code key}'s whole value, for the scrub to compare across
     * clusters (Redis: {@code GET}, {@code HGETALL}, {@code SMEMBERS}... by type; memcached
     * {@code mg <key> v f}).
     *
     * @param probeReply the reply to {@link #scrubProbe} from the cluster the key was found on
     *                   (borrowed), or {@code null} when there is none
     * @return the read, or {@code null} when the key is gone or its kind cannot be compared (the
     *         default: this protocol does not scrub)
     * @since SPI 0.2.2
     */
    default Command scrubRead(ByteBuf key, ByteBuf probeReply, ByteBufAllocator alloc) {
        return null;
    }

    /**
     * A read of {@code key} whose replies, when byte-equal and not {@link #isError errors} on two
     * clusters, prove that both hold the same value (Redis {@code DUMP}: the same serialisation is
     * the same value; memcached {@code mg <key> v f}). Different replies prove nothing (a listpack
     * and a hashtable holding the same hash dump differently): the scrub then compares the key by
     * {@link #scrubProbe} and {@link #scrubRead}. One request per cluster and no probe, so most
     * keys, which are equal, cost one round trip. {@code null} (the default): the scrub always
     * probes and reads.
     *
     * @since SPI 0.2.2
     */
    default Command scrubFingerprint(ByteBuf key, ByteBufAllocator alloc) {
        return null;
    }

    /**
     * Whether {@code reply} (borrowed), a reply to {@link #scrubFingerprint} that is not an error,
     * says the key is absent (Redis nil bulk, memcached {@code EN}). False by default.
     *
     * @since SPI 0.2.2
     */
    default boolean scrubAbsent(ByteBuf reply) {
        return false;
    }
}
