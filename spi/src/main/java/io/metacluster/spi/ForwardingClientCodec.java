package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.Objects;

/**
 * A {@link ClientCodec} that hands every call to another one: extend it to change a shipped
 * protocol in one place (e.g. answer one more Redis command) and override only that.
 *
 * <pre>{@code
 * final class WithHello extends ForwardingClientCodec {
 *     WithHello(ClientCodec redis) { super(redis); }
 *     @Override public ByteBuf answer(Command command, ClientContext context) { ... or super.answer(...) }
 * }
 * }</pre>
 *
 * <p>Every method of {@link ClientCodec}, the capability accessors included, is forwarded as it
 * is, so the contract is the delegate's: one instance per client connection, wrapping a delegate
 * of its own, called on that connection's event loop only. Buffer and command ownership are
 * exactly as {@link ClientCodec} states for each method; a subclass that answers a call itself
 * takes on that method's obligations (e.g. releasing what it consumes).
 */
public abstract class ForwardingClientCodec implements ClientCodec {
    private final ClientCodec delegate;

    protected ForwardingClientCodec(ClientCodec delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The codec every call goes to unless overridden. */
    protected final ClientCodec delegate() {
        return delegate;
    }

    @Override
    public Command decode(ByteBuf in) throws ProtocolException {
        return delegate.decode(in);
    }

    @Override
    public ByteBuf answer(Command command, ClientContext context) {
        return delegate.answer(command, context);
    }

    @Override
    public ByteBuf error(ByteBufAllocator alloc, Command command, String message) {
        return delegate.error(alloc, command, message);
    }

    @Override
    public boolean isMiss(Command command, ByteBuf reply) {
        return delegate.isMiss(command, reply);
    }

    @Override
    public ByteBuf authenticationRequired(ByteBufAllocator alloc, Command command) {
        return delegate.authenticationRequired(alloc, command);
    }

    @Override
    public ByteBuf present(Command command, ByteBuf reply) {
        return delegate.present(command, reply);
    }

    @Override
    public void closed() {
        delegate.closed();
    }

    @Override
    public CommandSplitter splitter() {
        return delegate.splitter();
    }

    @Override
    public Pinning pinning() {
        return delegate.pinning();
    }

    @Override
    public ConditionalWrites conditionalWrites() {
        return delegate.conditionalWrites();
    }

    @Override
    public ServerReports reports() {
        return delegate.reports();
    }

    @Override
    public Monitoring monitoring() {
        return delegate.monitoring();
    }

    @Override
    public boolean heldByWritePause(Command command) {
        return delegate.heldByWritePause(command);
    }

    @Override
    public PeerAside peerAside(Command command) {
        return delegate.peerAside(command);
    }
}
