package io.metacluster.e2e;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One script of {@link DifferentialIT}: the bytes a client sends on a fresh connection, and how
 * it ends that connection. The generators write the ending's own request (QUIT, a fence) into
 * the bytes; {@link #fenceReply} is what the fence is answered with.
 */
record Script(byte[] bytes, Ending ending, byte[] fenceReply) {

    /** How a script ends its connection, and so how long its replies are read. */
    enum Ending {
        /** The protocol's quit request last; replies are read until the server closes. */
        QUIT,
        /** A fence request last (PING-like); replies are read until its answer ends them, or a close. */
        FENCE,
        /** The client shuts its output down after the bytes; replies are read until the server closes. */
        HALF_CLOSE,
        /** The client just closes after writing; nothing is read or compared (the target must stay well). */
        ABRUPT
    }

    /** Accumulates a script's bytes; text is taken as Latin-1, so one char is one byte. */
    static final class Builder {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Builder text(String text) {
            bytes.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        Builder raw(byte[] raw) {
            bytes.writeBytes(raw);
            return this;
        }

        int size() {
            return bytes.size();
        }

        /** The script, after the ending's request ({@code quit} for QUIT, {@code fence} for FENCE). */
        Script end(Ending ending, byte[] quit, byte[] fence, byte[] fenceReply) {
            if (ending == Ending.QUIT) {
                raw(quit);
            } else if (ending == Ending.FENCE) {
                raw(fence);
            }
            return new Script(bytes.toByteArray(), ending, fenceReply);
        }

        /**
         * The script after a request the server answers by closing the connection: nothing is added,
         * since bytes left unread make a close a reset, which may lose the answer; a fence would
         * never be answered, so replies are read until the close.
         */
        Script endClosedByServer(Ending ending) {
            return new Script(bytes.toByteArray(), ending == Ending.FENCE ? Ending.QUIT : ending, null);
        }
    }
}
