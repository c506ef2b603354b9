package io.metacluster.testing;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DefaultSocketChannelConfig;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link EmbeddedChannel} that passes for a TCP socket, so that code which opens its own
 * connections with a {@code Bootstrap} (the engine's backend connections) can be given this
 * class as its socket channel and an {@code EmbeddedChannel}'s event loop as its group: its
 * "connections" then open at once, and the test plays the server, reading what was sent with
 * {@link #readOutbound()} and answering with {@link #writeInbound}. Each channel registers
 * itself under its event loop ({@link #openedOn}) and keeps the address it was connected to
 * ({@link #remoteAddress()}), which is how a test finds the connections the code under test opened.
 */
public class EmbeddedSocketChannel extends EmbeddedChannel implements SocketChannel {
    private static final Map<EventLoop, List<EmbeddedSocketChannel>> OPENED = new ConcurrentHashMap<>();
    private static final InetSocketAddress NOWHERE = InetSocketAddress.createUnresolved("embedded", 0);

    private SocketChannelConfig config;
    private InetSocketAddress remote = NOWHERE;

    /** Unregistered: the {@code Bootstrap} that made it registers it with its group. */
    public EmbeddedSocketChannel() {
        super(EmbeddedChannel.builder().register(false));
    }

    /** The channels registered on {@code loop} so far, oldest first. */
    public static List<EmbeddedSocketChannel> openedOn(EventLoop loop) {
        return OPENED.getOrDefault(loop, List.of());
    }

    /** Forgets the channels of {@code loop} (at the end of a test). */
    public static void forget(EventLoop loop) {
        OPENED.remove(loop);
    }

    @Override
    protected void doRegister() throws Exception {
        super.doRegister();
        OPENED.computeIfAbsent(eventLoop(), loop -> new ArrayList<>()).add(this);
    }

    /** Remembers where the code under test meant to connect: {@link #remoteAddress()}. */
    @Override
    public ChannelFuture connect(SocketAddress remoteAddress, ChannelPromise promise) {
        if (remoteAddress instanceof InetSocketAddress inet) {
            remote = inet;
        }
        return super.connect(remoteAddress, promise);
    }

    @Override
    public SocketChannelConfig config() {
        if (config == null) { // called from the super constructor, before any field initializer of ours
            config = new DefaultSocketChannelConfig(this, new Socket()) {
                // no real socket behind it: the options a Bootstrap sets are accepted and ignored
                @Override
                public SocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
                    return this;
                }

                @Override
                public SocketChannelConfig setKeepAlive(boolean keepAlive) {
                    return this;
                }
            };
        }
        return config;
    }

    @Override
    public ServerSocketChannel parent() {
        return null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return NOWHERE;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public boolean isInputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownInput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isOutputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdown() {
        return close();
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return close(promise);
    }
}
