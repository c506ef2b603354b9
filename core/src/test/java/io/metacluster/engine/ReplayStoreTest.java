package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replay log on disk: what one run appends, the next run loads, in order; a caught-up node's
 * file is emptied; the overflow marker outlives a restart; a record torn by a crash is dropped
 * and the complete ones before it kept.
 */
class ReplayStoreTest {
    @TempDir
    Path dir;
    private final List<ExecutorService> executors = new ArrayList<>();

    @AfterEach
    void stopExecutors() {
        executors.forEach(ExecutorService::shutdownNow);
    }

    /** A store as the engine makes one: file work on a background thread of its own. */
    private ReplayStore store() {
        ExecutorService io = Executors.newSingleThreadExecutor();
        executors.add(io);
        return new ReplayStore(io, dir, "dc2-node", 1 << 20);
    }

    /** Closes {@code store} and waits for its file work, as the engine does at shutdown. */
    private void shutDown(ReplayStore store) throws InterruptedException {
        store.close();
        ExecutorService io = executors.get(executors.size() - 1);
        io.shutdown();
        assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private static void append(ReplayStore store, String... frames) {
        for (String frame : frames) {
            Command command = Command.of(EmbeddedEngine.ascii(frame), "SET", CommandKind.WRITE, null, null);
            store.append(command);
            command.release(); // the store keeps its own reference until written
        }
    }

    private static List<String> texts(List<byte[]> frames) {
        return frames.stream().map(frame -> new String(frame, StandardCharsets.US_ASCII)).toList();
    }

    @Test
    void whatOneRunAppendsTheNextLoadsInOrder() throws Exception {
        ReplayStore first = store();
        assertThat(first.load()).as("no file yet").isEmpty();
        append(first, "SET a 1\r\n", "SET b 2\r\n", "SET a 3\r\n");
        shutDown(first);

        ReplayStore second = store();
        assertThat(texts(second.load())).containsExactly("SET a 1\r\n", "SET b 2\r\n", "SET a 3\r\n");
        assertThat(second.overflowMarked()).isFalse();
    }

    @Test
    void writesLostInFlightAreLoadedBeforeTheWritesHeldBackThoughAppendedAfterThem() throws Exception {
        ReplayStore first = store();
        append(first, "SET j 1\r\n");
        appendLost(first, "SET k 2\r\n");
        append(first, "SET k 3\r\n");
        appendLost(first, "SET j 0\r\n");
        shutDown(first);

        ReplayStore second = store();
        assertThat(texts(second.load())).containsExactly("SET k 2\r\n", "SET j 0\r\n", "SET j 1\r\n", "SET k 3\r\n");
        append(second, "SET k 4\r\n");
        shutDown(second);
        assertThat(texts(store().load())).as("appended after a restart: after all of them")
                .containsExactly("SET k 2\r\n", "SET j 0\r\n", "SET j 1\r\n", "SET k 3\r\n", "SET k 4\r\n");
    }

    private static void appendLost(ReplayStore store, String frame) {
        Command command = Command.of(EmbeddedEngine.ascii(frame), "SET", CommandKind.WRITE, null, null);
        store.append(command, new byte[0], true);
        command.release();
    }

    @Test
    void appendsAfterARestartGoAfterWhatWasLoaded() throws Exception {
        ReplayStore first = store();
        append(first, "SET a 1\r\n");
        shutDown(first);
        ReplayStore second = store();
        second.load();
        append(second, "SET b 2\r\n");
        shutDown(second);

        assertThat(texts(store().load())).containsExactly("SET a 1\r\n", "SET b 2\r\n");
    }

    @Test
    void clearingEmptiesTheFileForTheNextRunAndLaterAppendsStartAfresh() throws Exception {
        ReplayStore store = store();
        append(store, "SET a 1\r\n", "SET b 2\r\n");
        store.clear();
        append(store, "SET c 3\r\n");
        shutDown(store);

        assertThat(texts(store().load())).containsExactly("SET c 3\r\n");
    }

    @Test
    void theOverflowMarkerOutlivesARestartUntilCleared() throws Exception {
        ReplayStore first = store();
        first.markOverflowed(true);
        shutDown(first);
        assertThat(Files.exists(dir.resolve("dc2-node.overflowed"))).isTrue();

        ReplayStore second = store();
        assertThat(second.overflowMarked()).isTrue();
        second.markOverflowed(false);
        shutDown(second);
        assertThat(store().overflowMarked()).isFalse();
    }

    @Test
    void aRecordTornByACrashIsDroppedAndTheCompleteOnesKept() throws Exception {
        ReplayStore first = store();
        append(first, "SET a 1\r\n", "SET b 2\r\n");
        shutDown(first);
        try (OutputStream out = Files.newOutputStream(dir.resolve("dc2-node.log"), StandardOpenOption.APPEND);
             DataOutputStream data = new DataOutputStream(out)) {
            data.writeInt(100); // a record of 100 bytes, of which the crash let only 5 reach the disk
            data.write("SET c".getBytes(StandardCharsets.US_ASCII));
        }

        assertThat(texts(store().load())).containsExactly("SET a 1\r\n", "SET b 2\r\n");
    }

    @Test
    void aLengthTornByACrashIsDroppedToo() throws Exception {
        ReplayStore first = store();
        append(first, "SET a 1\r\n");
        shutDown(first);
        Files.write(dir.resolve("dc2-node.log"), new byte[]{0, 0}, StandardOpenOption.APPEND);

        assertThat(texts(store().load())).containsExactly("SET a 1\r\n");
    }

    @Test
    void writesRecordedAfterLoadingATornFileSurviveTheNextRestart() throws Exception {
        ReplayStore first = store();
        append(first, "SET a 1\r\n");
        shutDown(first);
        try (OutputStream out = Files.newOutputStream(dir.resolve("dc2-node.log"), StandardOpenOption.APPEND);
             DataOutputStream data = new DataOutputStream(out)) {
            data.writeInt(100);
            data.write("SET c".getBytes(StandardCharsets.US_ASCII));
        }
        // the restart after the crash: the node is still down and misses another write
        ReplayStore second = store();
        assertThat(texts(second.load())).containsExactly("SET a 1\r\n");
        append(second, "SET d 4\r\n");
        shutDown(second);

        // the torn bytes must not swallow the record appended behind them
        assertThat(texts(store().load())).containsExactly("SET a 1\r\n", "SET d 4\r\n");
    }

    @Test
    void theStoreKeepsNoReferenceToWhatItWrote() throws Exception {
        ReplayStore store = store();
        ByteBuf frame = EmbeddedEngine.ascii("SET a 1\r\n");
        Command command = Command.of(frame, "SET", CommandKind.WRITE, null, null);
        store.append(command);
        shutDown(store);
        assertThat(frame.refCnt()).as("only the caller's own").isEqualTo(1);
        command.release();
    }

    @Test
    void aStoreThatCannotWriteGivesBackWhatItWasGivenAndGoesOn() throws Exception {
        Files.writeString(dir.resolve("blocked"), "a file where the folder should be");
        ExecutorService io = Executors.newSingleThreadExecutor();
        executors.add(io);
        ReplayStore store = new ReplayStore(io, dir.resolve("blocked"), "dc2-node", 1 << 20);
        ByteBuf frame = EmbeddedEngine.ascii("SET a 1\r\n");
        Command command = Command.of(frame, "SET", CommandKind.WRITE, null, null);
        store.append(command);
        store.append(command);
        store.markOverflowed(true);
        shutDown(store);
        assertThat(frame.refCnt()).isEqualTo(1);
        assertThat(store.overflowMarked()).isFalse();
        command.release();
    }
}
