package io.metacluster.engine;

import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.Command;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;

/**
 * One client's side of its listener's {@link ClientPauses}: the one command a pause holds. Redis
 * stops a paused client at that command and processes nothing after it, so the client's later
 * bytes are not decoded meanwhile (their decoding may depend on what the held command does: a
 * SELECT, a MULTI) and, by {@link FlowControl}, no more are read: a pause buffers nothing beyond
 * what one read brought. Lives on the client's event loop.
 */
final class PauseHold {
    private final ClientPauses pauses;
    private final ClientCodec codec;
    /** {@code null} where the pipeline has no decoder of ours (the session is then given commands directly). */
    private final ClientFrameDecoder decoder;
    private final ChannelHandlerContext decoderContext;
    /** Posts the session's resume to its own loop; one instance, so the pause keeps it once. */
    private final Runnable wake;
    private Command held;

    PauseHold(ClientPauses pauses, ClientCodec codec, ChannelHandlerContext session, Runnable resume) {
        this.pauses = pauses;
        this.codec = codec;
        this.decoder = session.pipeline().get(ClientFrameDecoder.class);
        this.decoderContext = decoder == null ? null : session.pipeline().context(decoder);
        EventLoop loop = session.channel().eventLoop();
        this.wake = () -> loop.execute(resume);
    }

    /** Whether the pause holds {@code command}; if so it is kept here (owned) and decoding stops behind it. */
    boolean holds(Command command) {
        if (!pauses.holds(command, codec, wake)) {
            return false;
        }
        held = command;
        if (decoder != null) {
            decoder.hold();
        }
        return true;
    }

    boolean holding() {
        return held != null;
    }

    /** The held command once the pause lets it go (owned by the caller), or {@code null}: none, or held again. */
    Command release() {
        Command command = held;
        if (command == null || pauses.holds(command, codec, wake)) {
            return null;
        }
        held = null;
        return command;
    }

    /** After {@link #release}: what the client sent behind the held command is decoded now, in order. */
    void decodeOn() {
        if (decoder != null) {
            decoder.resume(decoderContext);
        }
    }

    /** The client left: the held command is dropped, as a closed Redis client's pending commands are. */
    void closed() {
        if (held != null) {
            pauses.forget(wake);
            held.release();
            held = null;
        }
    }
}
