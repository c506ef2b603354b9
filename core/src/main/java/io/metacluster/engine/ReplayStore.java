package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * The on-disk copy of one node's replay log: an append-only file of length-prefixed request
 * frames, emptied when the node has caught up, and a marker file for a node left out after an
 * overflow. All file work runs on one background thread, never on an event loop, in the order
 * it was asked for.
 */
final class ReplayStore {
    private static final Logger log = LoggerFactory.getLogger(ReplayStore.class);

    private final ExecutorService io;
    private final Path file;
    private final Path marker;
    private FileChannel channel;
    private boolean broken;

    ReplayStore(ExecutorService io, Path dir, String name) {
        this.io = io;
        this.file = dir.resolve(name + ".log");
        this.marker = dir.resolve(name + ".overflowed");
    }

    /**
     * The frames left by an earlier run, oldest first; a record torn by a crash ends the file and
     * is cut off it. Called once at start, before any traffic.
     */
    List<byte[]> load() throws IOException {
        List<byte[]> frames = new ArrayList<>();
        if (!Files.exists(file)) {
            return frames;
        }
        long complete = 0;
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            while (true) {
                int length;
                try {
                    length = data.readInt();
                } catch (EOFException end) {
                    break;
                }
                byte[] frame = new byte[length];
                try {
                    data.readFully(frame);
                } catch (EOFException torn) {
                    break;
                }
                frames.add(frame);
                complete += 4 + length;
            }
        }
        if (complete < Files.size(file)) {
            log.warn("replay file {} ends in a torn record (crash while writing?); keeping the {} complete ones",
                    file, frames.size());
            // cut off, or the records appended behind it would be read as the torn record's rest
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
                out.truncate(complete);
            }
        }
        return frames;
    }

    boolean overflowMarked() {
        return Files.exists(marker);
    }

    void append(Command command) {
        ByteBuf frame = command.frame().retainedDuplicate();
        io.execute(() -> {
            try {
                FileChannel out = open();
                if (out != null) {
                    ByteBuffer header = ByteBuffer.allocate(4).putInt(0, frame.readableBytes());
                    out.write(header);
                    frame.readBytes(out, frame.readableBytes());
                }
            } catch (IOException e) {
                fail("append to", e);
            } finally {
                frame.release();
            }
        });
    }

    void clear() {
        io.execute(() -> {
            try {
                FileChannel out = open();
                if (out != null) {
                    out.truncate(0);
                }
            } catch (IOException e) {
                fail("truncate", e);
            }
        });
    }

    void markOverflowed(boolean overflowed) {
        io.execute(() -> {
            try {
                if (overflowed) {
                    Files.writeString(marker, "the replay log overflowed; resynchronise this node, delete this file, restart\n");
                } else {
                    Files.deleteIfExists(marker);
                }
            } catch (IOException e) {
                fail("write the marker beside", e);
            }
        });
    }

    /** Forces what was written to disk and closes the file; waits for earlier work to finish. */
    void close() {
        io.execute(() -> {
            try {
                if (channel != null) {
                    channel.force(false);
                    channel.close();
                    channel = null;
                }
            } catch (IOException e) {
                fail("close", e);
            }
        });
    }

    private FileChannel open() throws IOException {
        if (broken) {
            return null;
        }
        if (channel == null) {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        return channel;
    }

    private void fail(String what, IOException e) {
        if (!broken) {
            log.error("cannot {} replay file {}: {}; the replay log of this node is kept in memory only from now on",
                    what, file, e.toString());
        }
        broken = true;
    }
}
