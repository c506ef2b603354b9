package io.metacluster.admin;

import io.metacluster.config.AdminConfig;
import io.metacluster.engine.Engine;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP endpoint of a running engine, on a thread of its own so that a scrape or a slow
 * admin client never holds an I/O thread of the proxy: {@code /health}, {@code /ready},
 * {@code /clusters}, {@code /config}, {@code /metrics} (see {@link AdminRoutes}); {@code POST /reload}
 * and {@code POST /clusters/NAME[/nodes/HOST:PORT]/resync} (see {@link AdminActions}).
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** Requests are a line and a few headers; anything larger is not an admin client. */
    private static final int MAX_REQUEST_BYTES = 16 * 1024;

    private final MultiThreadIoEventLoopGroup group;
    private final Channel channel;
    private final AdminHandler.Token token;

    private AdminServer(MultiThreadIoEventLoopGroup group, Channel channel, AdminHandler.Token token) {
        this.group = group;
        this.channel = channel;
        this.token = token;
    }

    /**
     * Binds {@code config.bind()} and serves {@code engine}.
     *
     * @throws Engine.StartException when the address cannot be bound
     */
    public static AdminServer start(Engine engine, AdminConfig config) throws Engine.StartException {
        AdminRoutes routes = new AdminRoutes(engine);
        AdminActions actions = new AdminActions(engine);
        AdminHandler.Token token = new AdminHandler.Token(config.token());
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("metacluster-admin", true), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS), new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES), new AdminHandler(routes, actions, token));
                    }
                });
        try {
            Channel channel = bootstrap.bind(config.bind().host(), config.bind().port()).sync().channel();
            log.info("admin endpoint on http://{}/ ({})", config.bind(),
                    config.token() == null ? "no token" : "bearer token required");
            return new AdminServer(group, channel, token);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new Engine.StartException("admin endpoint cannot bind " + config.bind() + ": " + e.getMessage());
        }
    }

    /** A reloaded config's token ({@code null}: none); for requests from now on. */
    public void token(String token) {
        this.token.set(token);
    }

    /** Where it is bound (useful when configured with port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
