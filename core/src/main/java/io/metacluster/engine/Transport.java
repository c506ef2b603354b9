package io.metacluster.engine;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Epoll where the native library loads (Linux), NIO elsewhere. */
record Transport(String name, IoHandlerFactory ioHandler, Class<? extends ServerSocketChannel> serverChannel,
                 Class<? extends SocketChannel> socketChannel) {

    /**
     * The buffer allocator of every channel, client and backend. The pooled allocator, not Netty
     * 4.2's adaptive default: the forwarding path takes three derived buffers per request (the
     * frame's slice, its duplicate written to a backend, the reply's slice), and only the pooled
     * allocator recycles those instead of allocating each.
     */
    static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    static Transport best() {
        if (Epoll.isAvailable() && !Boolean.getBoolean("metacluster.nio")) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }
}
