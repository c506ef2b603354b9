package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.zip.CRC32C;

/**
 * The on-disk copy of one node's replay log: an append-only file of checksummed request frames,
 * emptied when the node has caught up, and a marker file for a node left out after an overflow.
 * All file work runs on one background thread, never on an event loop, in the order it was asked
 * for. Files are created readable by the daemon's user only (they hold cached values).
 *
 * <p><b>Format.</b> {@link #MAGIC}, then records of a 4-byte length (of the frame), the CRC32C of
 * what follows it, a flags byte ({@link #LOST_IN_FLIGHT}) and the frame. Records flagged lost in
 * flight are read back first: such a write was sent before every write held back for the node
 * (see {@link ReplayLog#recordLost}), though it is appended when its loss is noticed, maybe after
 * them. Earlier formats, read once and rewritten: {@link #MAGIC_2} (length, CRC32C of the frame,
 * frame) and, without any magic, length and frame.
 *
 * <p><b>Damage.</b> A file is only ever trusted as far as its records check out: a length out of
 * bounds, a checksum that does not match or a record cut short ends the good part. Every good
 * record before it is kept; the whole file is copied aside as {@code <name>.log.damaged}, the log
 * is cut back to its good part, and one line names both and what was lost. Start-up never fails
 * on a file's content, so a damaged log cannot put the daemon in a crash loop.
 */
final class ReplayStore {
    private static final Logger log = LoggerFactory.getLogger(ReplayStore.class);
    /** The first bytes of a replay file of this format. */
    static final byte[] MAGIC = "MCREPLAY3\n".getBytes(StandardCharsets.US_ASCII);
    /** The first bytes of a replay file of the format before: no flags. */
    static final byte[] MAGIC_2 = "MCREPLAY2\n".getBytes(StandardCharsets.US_ASCII);
    /** Length, checksum and flags of a record of this format. */
    static final int RECORD_HEADER = 9;
    /** The record's write was lost in flight: it goes before the others. */
    static final byte LOST_IN_FLIGHT = 1;
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

    private final ExecutorService io;
    private final Path file;
    private final Path marker;
    private final long maxRecordBytes;
    private FileChannel channel;
    private boolean broken;
    private long damagedBytes;

    /**
     * @param maxRecordBytes the longest record a file may hold: the log's byte budget, since no
     *                       single write beyond it is ever recorded
     */
    ReplayStore(ExecutorService io, Path dir, String name, long maxRecordBytes) {
        this.io = io;
        this.file = dir.resolve(name + ".log");
        this.marker = dir.resolve(name + ".overflowed");
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * The frames left by an earlier run, in the order to replay them, as far as the file checks
     * out (see the class comment). Called once at start, before any traffic.
     *
     * @throws IOException only when the file cannot be read or rewritten at all
     */
    List<byte[]> load() throws IOException {
        List<byte[]> lostInFlight = new ArrayList<>();
        List<byte[]> frames = new ArrayList<>();
        if (!Files.exists(file)) {
            return frames;
        }
        byte[] content = Files.readAllBytes(file);
        int version = startsWith(content, MAGIC) ? 3 : startsWith(content, MAGIC_2) ? 2 : 1;
        ByteBuffer in = ByteBuffer.wrap(content);
        in.position(version == 1 ? 0 : MAGIC.length);
        int header = version == 3 ? RECORD_HEADER : version == 2 ? 8 : 4;
        String damage = null;
        while (in.hasRemaining() && damage == null) {
            int recordStart = in.position();
            if (in.remaining() < header) {
                damage = "a record header cut short";
                break;
            }
            int length = in.getInt();
            int checksum = version > 1 ? in.getInt() : 0;
            byte flags = version == 3 ? in.get() : 0;
            if (length <= 0 || length > maxRecordBytes) {
                damage = "a record length of " + length;
            } else if (in.remaining() < length) {
                damage = "a record of " + length + " bytes cut short after " + in.remaining();
            } else {
                byte[] frame = new byte[length];
                in.get(frame);
                CRC32C crc = new CRC32C();
                if (version == 3) {
                    crc.update(flags);
                }
                crc.update(frame);
                if (version > 1 && checksum != (int) crc.getValue()) {
                    damage = "a record whose checksum does not match";
                } else {
                    ((flags & LOST_IN_FLIGHT) != 0 ? lostInFlight : frames).add(frame);
                    continue;
                }
            }
            in.position(recordStart);
        }
        frames.addAll(0, lostInFlight);
        if (damage != null) {
            damagedBytes = content.length - in.position();
            Path aside = file.resolveSibling(file.getFileName() + ".damaged");
            Files.copy(file, aside, StandardCopyOption.REPLACE_EXISTING);
            log.warn("replay file {} is damaged at byte {} ({}): kept the {} good records before it, {} bytes after it are lost"
                    + " (writes this node may have missed); the whole file is kept as {}", file, in.position(), damage,
                    frames.size(), damagedBytes, aside);
        }
        if (damage != null || version != 3) {
            rewrite(frames);
        }
        return frames;
    }

    /** Bytes of the replay file that {@link #load} could not trust and dropped (0 when it was intact). */
    long damagedBytes() {
        return damagedBytes;
    }

    private static boolean startsWith(byte[] content, byte[] magic) {
        return content.length >= magic.length && Arrays.equals(content, 0, magic.length, magic, 0, magic.length);
    }

    /** Replaces the file, atomically, by one of this format holding {@code frames}, in their order (no flags). */
    private void rewrite(List<byte[]> frames) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        try (FileChannel out = create(temp)) {
            out.write(ByteBuffer.wrap(MAGIC));
            for (byte[] frame : frames) {
                CRC32C crc = new CRC32C();
                crc.update(0);
                crc.update(frame);
                out.write(ByteBuffer.allocate(RECORD_HEADER).putInt(frame.length).putInt((int) crc.getValue()).put((byte) 0)
                        .flip());
                out.write(ByteBuffer.wrap(frame));
            }
            out.force(false);
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static final byte[] NO_LANE_REQUESTS = new byte[0];

    boolean overflowMarked() {
        return Files.exists(marker);
    }

    void append(Command command) {
        append(command, NO_LANE_REQUESTS, false);
    }

    /**
     * Appends {@code command}'s frame after {@code laneRequests} (see {@link io.metacluster.spi.Protocol#laneRequests}),
     * as one record; {@code lostInFlight} (see {@link ReplayLog#recordLost}) puts it before the others when read back.
     */
    void append(Command command, byte[] laneRequests, boolean lostInFlight) {
        ByteBuf frame = command.frame().retainedDuplicate();
        byte flags = lostInFlight ? LOST_IN_FLIGHT : 0;
        io.execute(() -> {
            try {
                FileChannel out = open();
                if (out != null) {
                    CRC32C crc = new CRC32C();
                    crc.update(flags);
                    crc.update(laneRequests);
                    crc.update(frame.nioBuffer());
                    out.write(ByteBuffer.allocate(RECORD_HEADER).putInt(0, laneRequests.length + frame.readableBytes())
                            .putInt(4, (int) crc.getValue()).put(8, flags));
                    out.write(ByteBuffer.wrap(laneRequests));
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
                    out.write(ByteBuffer.wrap(MAGIC), 0);
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
                    createDirectory();
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
            createDirectory();
            channel = Files.exists(file) ? FileChannel.open(file, StandardOpenOption.WRITE) : create(file);
        }
        if (channel.size() == 0) {
            channel.write(ByteBuffer.wrap(MAGIC), 0);
        }
        // appends go at the end, wherever clear() left the position
        channel.position(channel.size());
        return channel;
    }

    private void createDirectory() throws IOException {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, posix(dir, OWNER_DIR));
        }
    }

    /** A new file, readable and writable by the daemon's user only (where the file system has POSIX modes). */
    private static FileChannel create(Path path) throws IOException {
        return FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), posix(path, OWNER_FILE));
    }

    private static FileAttribute<?>[] posix(Path path, Set<PosixFilePermission> permissions) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)} : new FileAttribute<?>[0];
    }

    private void fail(String what, IOException e) {
        if (!broken) {
            log.error("cannot {} replay file {}: {}; the replay log of this node is kept in memory only from now on",
                    what, file, e.toString());
        }
        broken = true;
    }
}
