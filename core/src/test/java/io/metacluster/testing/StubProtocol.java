package io.metacluster.testing;

import io.metacluster.spi.BackendCodec;
import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.ClientCodec;
import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Protocol;
import io.metacluster.spi.ReplyVerification;

/**
 * A stand-in {@link Protocol} for tests that only need its name (the config loader checks that a
 * listener's protocol exists) and, optionally, its {@link #verification()}. It has no codecs:
 * {@code newClientCodec}, {@code newBackendCodec} and {@code flushRequest} throw.
 */
public final class StubProtocol implements Protocol {
    private final String name;
    private final ReplyVerification verification;

    private StubProtocol(String name, ReplyVerification verification) {
        this.name = name;
        this.verification = verification;
    }

    /** A protocol named {@code name} without reply verification. */
    public static StubProtocol named(String name) {
        return new StubProtocol(name, null);
    }

    /** A protocol named {@code name} whose {@link #verification()} is {@code verification}. */
    public static StubProtocol verifying(String name, ReplyVerification verification) {
        return new StubProtocol(name, verification);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ClientCodec newClientCodec(ClientLimits limits) {
        throw new UnsupportedOperationException();
    }

    @Override
    public BackendCodec newBackendCodec(BackendSettings settings, int lane) {
        throw new UnsupportedOperationException();
    }

    @Override
    public byte[] flushRequest() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ReplyVerification verification() {
        return verification;
    }
}
