package io.metacluster.testing;

import io.metacluster.spi.Command;
import io.metacluster.spi.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket to a real server over which a test sends commands as a protocol plugin built them and
 * reads each reply whole, byte for byte, as far as the plugin's own framing says it goes; the
 * way to check what a plugin's commands do on the real server, without a client library between.
 */
public final class CommandExchange implements AutoCloseable {
    /** How long the reply in {@code in} is, from its start; negative while it is not all there. */
    @FunctionalInterface
    public interface ReplyLength {
        int of(ByteBuf in) throws ProtocolException;
    }

    private final Socket socket;
    private final Supplier<ReplyLength> framing;

    private CommandExchange(Socket socket, Supplier<ReplyLength> framing) {
        this.socket = socket;
        this.framing = framing;
    }

    /** {@code framing} gives each reply its own {@link ReplyLength}: a protocol's may keep state while it waits for more. */
    public static CommandExchange connect(ServerProcess server, Supplier<ReplyLength> framing) throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(10_000);
        return new CommandExchange(socket, framing);
    }

    /** Sends {@code command}'s frame (and releases it); its one reply, exactly that long. */
    public ByteBuf send(Command command) {
        try {
            socket.getOutputStream().write(ByteBufUtil.getBytes(command.frame()));
            ByteBuf in = Unpooled.buffer();
            ReplyLength replyLength = framing.get();
            int length;
            while ((length = replyLength.of(in)) < 0) {
                byte[] chunk = new byte[4096];
                int n = socket.getInputStream().read(chunk);
                if (n < 0) {
                    throw new IOException("closed");
                }
                in.writeBytes(chunk, 0, n);
            }
            assertThat(length).as("nothing after the one reply").isEqualTo(in.readableBytes());
            return in;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ProtocolException e) {
            throw new IllegalStateException(e);
        } finally {
            command.release();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
