package io.metacluster.memcached;

import io.metacluster.spi.KeyCopy;
import io.metacluster.spi.NodeIdentity;
import io.metacluster.spi.NodeLink;
import io.metacluster.spi.ProtocolException;
import io.metacluster.testing.MemcachedServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The memcached side of resync: identity from stats, and the copy, against real memcached processes. */
class MemcachedNodeSyncTest {
    private static final MemcachedNodeSync SYNC = new MemcachedNodeSync();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private MemcachedServer server() {
        MemcachedServer server = MemcachedServer.start();
        open.add(server);
        return server;
    }

    private SocketLink link(MemcachedServer server) throws IOException {
        SocketLink link = new SocketLink(new Socket("127.0.0.1", server.port()));
        open.add(link);
        return link;
    }

    @Test
    void identityIsThePidAndTheStartTime() throws Exception {
        ByteBuf stats = Unpooled.copiedBuffer("STAT pid 4242\r\nSTAT uptime 300\r\nSTAT time 1800000000\r\n"
                + "STAT version 1.6.18\r\nEND\r\nmore", StandardCharsets.US_ASCII);
        assertThat(SYNC.identityReplyLength(stats)).isEqualTo(stats.readableBytes() - 4);
        assertThat(SYNC.identity(stats.slice(0, stats.readableBytes() - 4)))
                .isEqualTo(new NodeIdentity("pid 4242 started 1799999700", 300));
        assertThat(SYNC.identityReplyLength(stats.slice(0, 20))).isEqualTo(-1);
        ByteBuf refused = Unpooled.copiedBuffer("ERROR\r\n", StandardCharsets.US_ASCII);
        assertThat(SYNC.identityReplyLength(refused)).isEqualTo(7);
        assertThat(SYNC.identity(refused)).isNull();
    }

    @Test
    void aRealServerSaysWhoItIsAndARestartChangesIt() throws Exception {
        MemcachedServer server = server();
        NodeIdentity first = askIdentity(server);
        assertThat(first.id()).startsWith("pid " + server.pid() + " ");
        assertThat(askIdentity(server)).as("the same process").isEqualTo(first);
        Thread.sleep(1100); // the start time has a one-second resolution
        server.restart();
        assertThat(askIdentity(server).id()).isNotEqualTo(first.id());
    }

    private NodeIdentity askIdentity(MemcachedServer server) throws Exception {
        try (SocketLink link = new SocketLink(new Socket("127.0.0.1", server.port()))) {
            link.send(SYNC.identityRequest(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT));
            ByteBuf reply = link.read(SYNC::identityReplyLength);
            try {
                return SYNC.identity(reply);
            } finally {
                reply.release();
            }
        }
    }

    @Test
    void metadumpKeysAreUrlDecoded() throws IOException {
        assertThat(new String(MemcachedNodeSync.metadumpKey("key=k%251 exp=-1 la=1 cas=1 fetch=no cls=1 size=68"),
                StandardCharsets.ISO_8859_1)).isEqualTo("k%1");
        assertThatThrownBy(() -> MemcachedNodeSync.metadumpKey("BUSY currently processing crawler request"))
                .isInstanceOf(IOException.class).hasMessageContaining("BUSY");
    }

    @Test
    void copiesValuesFlagsAndTtlsKeepingWhatTheTargetHolds() throws Exception {
        MemcachedServer source = server();
        MemcachedServer target = server();
        try (SocketLink s = link(source); SocketLink t = link(target)) {
            command(s, "set plain 3 0 1\r\nx\r\n");
            command(s, "set k%1 7 100 2\r\nhi\r\n");
            command(s, "set kept 0 0 3\r\nold\r\n");
            for (int i = 0; i < 250; i++) {
                command(s, "set many:" + i + " 0 0 " + Integer.toString(i).length() + "\r\n" + i + "\r\n");
            }
            command(t, "set kept 0 0 3\r\nnew\r\n");
        }
        List<String> asked = new ArrayList<>();
        try (SocketLink keys = link(source); SocketLink values = link(source); SocketLink into = link(target)) {
            SYNC.copy(new KeyCopy() {
                int copied;

                public NodeLink source() {
                    return keys;
                }

                public NodeLink secondSource() {
                    return values;
                }

                public NodeLink target() {
                    return into;
                }

                public boolean wants(ByteBuf key) {
                    asked.add(key.toString(StandardCharsets.US_ASCII));
                    return !key.toString(StandardCharsets.US_ASCII).equals("many:7");
                }

                public boolean keepExisting() {
                    return true;
                }

                public void copied(int keys) {
                    copied += keys;
                }
            });
        }
        assertThat(asked).hasSize(253).contains("k%1", "plain", "kept");
        try (SocketLink t = link(target)) {
            assertThat(command(t, "mg plain v f t\r\n")).isEqualTo("VA 1 f3 t-1\r\nx\r\n");
            assertThat(command(t, "mg k%1 v f\r\n")).isEqualTo("VA 2 f7\r\nhi\r\n");
            String ttl = command(t, "mg k%1 t\r\n");
            assertThat(Integer.parseInt(ttl.trim().substring(4))).isBetween(95, 100);
            assertThat(command(t, "mg kept v\r\n")).as("the target's own value is kept").isEqualTo("VA 3\r\nnew\r\n");
            assertThat(command(t, "mg many:249 v\r\n")).isEqualTo("VA 3\r\n249\r\n");
            assertThat(command(t, "mg many:7 v\r\n")).as("not wanted").isEqualTo("EN\r\n");
        }
    }

    private static String command(SocketLink link, String text) throws IOException {
        link.send(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
        ByteBuf reply = link.read(MemcachedNodeSync::valueLength);
        try {
            return reply.toString(StandardCharsets.ISO_8859_1);
        } finally {
            reply.release();
        }
    }

    /** A blocking {@link NodeLink} over a plain socket, as the engine's is over Netty. */
    private static final class SocketLink implements NodeLink, AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final ByteBuf received = Unpooled.buffer();

        SocketLink(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(5000);
            this.out = socket.getOutputStream();
            this.in = socket.getInputStream();
        }

        @Override
        public void send(ByteBuf request) {
            try {
                byte[] bytes = new byte[request.readableBytes()];
                request.readBytes(bytes);
                out.write(bytes);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } finally {
                request.release();
            }
        }

        @Override
        public ByteBuf read(Framer framer) throws IOException {
            try {
                int length;
                byte[] chunk = new byte[8192];
                while ((length = framer.length(received)) < 0) {
                    int n = in.read(chunk);
                    if (n < 0) {
                        throw new IOException("closed");
                    }
                    received.writeBytes(chunk, 0, n);
                }
                ByteBuf reply = received.readBytes(length);
                received.discardReadBytes();
                return reply;
            } catch (ProtocolException e) {
                throw new IOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            if (received.refCnt() > 0) {
                received.release();
            }
        }
    }
}
