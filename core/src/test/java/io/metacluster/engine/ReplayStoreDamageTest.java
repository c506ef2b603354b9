package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replay file is trusted only as far as its records check out: whatever is done to it, loading
 * keeps every good record before the damage, never throws, moves the whole file aside once, and
 * leaves a log that takes appends and loads them back.
 */
class ReplayStoreDamageTest {
    private static final long MAX_RECORD = 1024;
    private final ExecutorService io = Executors.newSingleThreadExecutor();
    @TempDir
    Path dir;

    @AfterEach
    void stop() throws InterruptedException {
        io.shutdown();
        assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    private ReplayStore store() {
        return new ReplayStore(io, dir.resolve("replay"), "dc1-node", MAX_RECORD);
    }

    private Path file() {
        return dir.resolve("replay").resolve("dc1-node.log");
    }

    private Path aside() {
        return dir.resolve("replay").resolve("dc1-node.log.damaged");
    }

    private static Command write(String frame) {
        return Command.of(Unpooled.copiedBuffer(frame, StandardCharsets.US_ASCII), "SET", CommandKind.WRITE, null, null);
    }

    /** Appends {@code frames} through a store and waits until they are on disk. */
    private void written(String... frames) throws Exception {
        ReplayStore store = store();
        for (String frame : frames) {
            Command command = write(frame);
            store.append(command);
            command.release();
        }
        store.close();
        io.submit(() -> { }).get();
    }

    private List<String> loaded(ReplayStore store) throws IOException {
        return store.load().stream().map(frame -> new String(frame, StandardCharsets.US_ASCII)).toList();
    }

    @Test
    void anIntactFileLoadsWhole() throws Exception {
        written("one", "two", "three");
        ReplayStore store = store();
        assertThat(loaded(store)).containsExactly("one", "two", "three");
        assertThat(store.damagedBytes()).isZero();
        assertThat(aside()).doesNotExist();
    }

    @Test
    void noiseAppendedIsDroppedAndTheFileKeptAside() throws Exception {
        written("one", "two");
        byte[] noise = new byte[4096];
        new java.util.Random(7).nextBytes(noise);
        Files.write(file(), noise, java.nio.file.StandardOpenOption.APPEND);
        long before = Files.size(file());
        assertDamaged(before, 4096, "one", "two");
    }

    @Test
    void aHugeOrNegativeOrZeroLengthEndsTheGoodPart() throws Exception {
        for (int length : new int[] {256 * 1024 * 1024, -5, 0, Integer.MIN_VALUE}) {
            Files.deleteIfExists(file());
            Files.deleteIfExists(aside());
            written("one", "two", "three");
            byte[] content = Files.readAllBytes(file());
            int second = ReplayStore.MAGIC.length + ReplayStore.RECORD_HEADER + 3;
            ByteBuffer.wrap(content).putInt(second, length);
            Files.write(file(), content);
            assertDamaged(content.length, content.length - second, "one");
        }
    }

    @Test
    void aFlippedByteInAValueIsCaughtByTheChecksum() throws Exception {
        written("one", "two", "three");
        byte[] content = Files.readAllBytes(file());
        int secondValue = ReplayStore.MAGIC.length + 2 * ReplayStore.RECORD_HEADER + 3;
        content[secondValue + 1] ^= 0x20;
        Files.write(file(), content);
        assertDamaged(content.length, content.length - (secondValue - ReplayStore.RECORD_HEADER), "one");
    }

    @Test
    void aZeroFilledFileLosesNothingButItsZeros() throws Exception {
        Files.createDirectories(file().getParent());
        Files.write(file(), new byte[438_888]);
        assertDamaged(438_888, 438_888);
    }

    @Test
    void aRecordCutShortAtTheEndIsATornTail() throws Exception {
        written("one", "two", "three");
        byte[] content = Files.readAllBytes(file());
        Files.write(file(), Arrays.copyOf(content, content.length - 2));
        assertDamaged(content.length - 2, ReplayStore.RECORD_HEADER + "three".length() - 2, "one", "two");
    }

    @Test
    void aFileOfTheEarlierFormatIsReadAndRewritten() throws Exception {
        Files.createDirectories(file().getParent());
        ByteBuffer legacy = ByteBuffer.allocate(4 + 3 + 4 + 5);
        legacy.putInt(3).put("one".getBytes(StandardCharsets.US_ASCII)).putInt(5).put("three".getBytes(StandardCharsets.US_ASCII));
        Files.write(file(), legacy.array());
        ReplayStore store = store();
        assertThat(loaded(store)).containsExactly("one", "three");
        assertThat(store.damagedBytes()).isZero();
        assertThat(Arrays.copyOf(Files.readAllBytes(file()), ReplayStore.MAGIC.length)).isEqualTo(ReplayStore.MAGIC);
        assertThat(loaded(store())).as("rewritten in this format").containsExactly("one", "three");
    }

    @Test
    void aFileOfTheFormatBeforeIsCheckedReadAndRewritten() throws Exception {
        Files.createDirectories(file().getParent());
        ByteBuffer before = ByteBuffer.allocate(ReplayStore.MAGIC_2.length + 3 * 8 + 3 + 5 + 3);
        before.put(ReplayStore.MAGIC_2);
        for (String frame : new String[] {"one", "three", "two"}) {
            byte[] bytes = frame.getBytes(StandardCharsets.US_ASCII);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(bytes);
            before.putInt(bytes.length).putInt(frame.equals("two") ? 12345 : (int) crc.getValue()).put(bytes);
        }
        Files.write(file(), before.array());
        ReplayStore store = store();
        assertThat(loaded(store)).as("up to the record whose checksum is wrong").containsExactly("one", "three");
        assertThat(store.damagedBytes()).isEqualTo(8 + 3);
        assertThat(Arrays.copyOf(Files.readAllBytes(file()), ReplayStore.MAGIC.length)).isEqualTo(ReplayStore.MAGIC);
        assertThat(loaded(store())).as("rewritten in this format").containsExactly("one", "three");
    }

    @Test
    void filesAreTheDaemonUsersOnly() throws Exception {
        written("one");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file().getParent()))).isEqualTo("rwx------");
        ReplayStore store = store();
        store.markOverflowed(true);
        store.close();
        io.submit(() -> { }).get();
        assertThat(dir.resolve("replay").resolve("dc1-node.overflowed")).exists();
    }

    @Test
    void clearingKeepsTheFormat() throws Exception {
        written("one");
        ReplayStore store = store();
        store.clear();
        Command two = write("two");
        store.append(two);
        two.release();
        store.close();
        io.submit(() -> { }).get();
        assertThat(loaded(store())).containsExactly("two");
    }

    /**
     * Loads the file of {@code size} bytes: the {@code good} frames come back, {@code lost} bytes are
     * counted, the original is kept aside, and the log, cut back to its good part, takes an append
     * and loads it back with the good frames.
     */
    private void assertDamaged(long size, long lost, String... good) throws Exception {
        ReplayStore store = store();
        assertThat(loaded(store)).containsExactly(good);
        assertThat(store.damagedBytes()).isEqualTo(lost);
        assertThat(aside()).exists();
        assertThat(Files.size(aside())).isEqualTo(size);
        Command more = write("more");
        store.append(more);
        more.release();
        store.close();
        io.submit(() -> { }).get();
        ReplayStore again = store();
        List<String> expected = new java.util.ArrayList<>(List.of(good));
        expected.add("more");
        assertThat(loaded(again)).containsExactlyElementsOf(expected);
        assertThat(again.damagedBytes()).isZero();
    }
}
