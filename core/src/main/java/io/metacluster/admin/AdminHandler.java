package io.metacluster.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * One admin HTTP connection: checks the token, then answers GETs of {@link AdminRoutes#PATHS} and
 * POSTs of {@link AdminActions} (404 for other paths, 405 for another method).
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    /** The token every request must carry, shared by the connections; a config reload may change it. */
    static final class Token {
        /** {@code Bearer <token>}, or {@code null} when no token is configured. */
        private volatile byte[] expectedAuthorization;

        Token(String token) {
            set(token);
        }

        void set(String token) {
            expectedAuthorization = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        }

        /** Constant-time: the time taken does not tell how much of a guessed token was right. */
        boolean accepts(String authorization) {
            byte[] expected = expectedAuthorization;
            return expected == null || (authorization != null
                    && MessageDigest.isEqual(expected, authorization.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private final AdminRoutes routes;
    private final AdminActions actions;
    private final Token token;

    AdminHandler(AdminRoutes routes, AdminActions actions, Token token) {
        this.routes = routes;
        this.actions = actions;
        this.token = token;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        AdminRoutes.Response response = answer(request);
        FullHttpResponse http = new DefaultFullHttpResponse(request.protocolVersion(), response.status(),
                Unpooled.wrappedBuffer(response.body()));
        http.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
        HttpUtil.setContentLength(http, response.body().length);
        if (response.status() == HttpResponseStatus.UNAUTHORIZED) {
            http.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        } else if (response.status() == HttpResponseStatus.METHOD_NOT_ALLOWED) {
            http.headers().set(HttpHeaderNames.ALLOW, AdminActions.handles(new QueryStringDecoder(request.uri()).path()) ? "POST" : "GET");
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (keepAlive) {
            http.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(http);
        } else {
            ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private AdminRoutes.Response answer(FullHttpRequest request) {
        if (!token.accepts(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            return AdminRoutes.Response.text(HttpResponseStatus.UNAUTHORIZED, "a bearer token is needed\n");
        }
        String path = new QueryStringDecoder(request.uri()).path();
        boolean action = AdminActions.handles(path);
        if (!action && !AdminRoutes.PATHS.contains(path)) {
            return AdminRoutes.Response.text(HttpResponseStatus.NOT_FOUND, "not found; paths: " + AdminRoutes.PATHS
                    + ", POST " + AdminActions.PATHS + "\n");
        }
        HttpMethod wanted = action ? HttpMethod.POST : HttpMethod.GET;
        if (!request.method().equals(wanted)) {
            return AdminRoutes.Response.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only " + wanted + "\n");
        }
        try {
            return action ? actions.post(path) : routes.get(path);
        } catch (RuntimeException e) {
            log.warn("admin endpoint: {} failed", path, e);
            return AdminRoutes.Response.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "failed: " + e + "\n");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
