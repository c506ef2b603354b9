package io.metacluster.engine;

/** Passed from {@link ClientFrameDecoder} to the session when the client's stream cannot be read on. */
public record DecodeFailure(String message) {
}
