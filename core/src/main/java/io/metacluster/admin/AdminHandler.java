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

/** One admin HTTP connection: checks the token, then answers GETs of the known paths (404 for others, 405 for other methods). */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    private final AdminRoutes routes;
    /** {@code Bearer <token>}, or {@code null} when no token is configured. */
    private final byte[] expectedAuthorization;

    AdminHandler(AdminRoutes routes, String token) {
        this.routes = routes;
        this.expectedAuthorization = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
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
            http.headers().set(HttpHeaderNames.ALLOW, "GET");
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
        if (!authorized(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            return AdminRoutes.Response.text(HttpResponseStatus.UNAUTHORIZED, "a bearer token is needed\n");
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (!AdminRoutes.PATHS.contains(path)) {
            return AdminRoutes.Response.text(HttpResponseStatus.NOT_FOUND, "not found; paths: " + AdminRoutes.PATHS + "\n");
        }
        if (!request.method().equals(HttpMethod.GET)) {
            return AdminRoutes.Response.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
        }
        try {
            return routes.get(path);
        } catch (RuntimeException e) {
            log.warn("admin endpoint: {} failed", path, e);
            return AdminRoutes.Response.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "failed: " + e + "\n");
        }
    }

    /** Constant-time: the time taken does not tell how much of a guessed token was right. */
    private boolean authorized(String authorization) {
        return expectedAuthorization == null || (authorization != null
                && MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
