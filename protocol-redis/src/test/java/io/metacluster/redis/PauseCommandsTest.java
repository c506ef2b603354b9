package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.redis.Codecs.command;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code CLIENT PAUSE ... WRITE} holds, as Redis 7.0's processCommand decides it (write or
 * may_replicate, script flags, transactions), and what CLIENT PAUSE asks of the engine. The
 * distribution's RedisClientPauseIT compares the same with a paused redis-server.
 */
class PauseCommandsTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    @Test
    void writesAndMayReplicateCommandsAreHeldReadsAndConnectionCommandsAreNot() throws Exception {
        for (String[] words : List.of(new String[]{"SET", "k", "v"}, new String[]{"DEL", "k"}, new String[]{"SPOP", "s"},
                new String[]{"PUBLISH", "ch", "m"}, new String[]{"SPUBLISH", "ch", "m"}, new String[]{"PFCOUNT", "h"},
                new String[]{"EVAL", "return 1", "0"}, new String[]{"EVALSHA", "0123456789012345678901234567890123456789", "0"},
                new String[]{"FCALL", "f", "0"}, new String[]{"EVAL", "#!lua\nreturn 1", "0"},
                new String[]{"EVAL", "#!lua flags=allow-stale\nreturn 1", "0"}, new String[]{"FLUSHALL"},
                new String[]{"BLPOP", "l", "0"}, new String[]{"EVAL", "#!lua flags=no-writes,bogus\nreturn 1", "0"})) {
            assertThat(held(words)).as(String.join(" ", words)).isTrue();
        }
        for (String[] words : List.of(new String[]{"GET", "k"}, new String[]{"PING"}, new String[]{"CLIENT", "UNPAUSE"},
                new String[]{"INFO"}, new String[]{"EVAL_RO", "return 1", "0"}, new String[]{"FCALL_RO", "f", "0"},
                new String[]{"EVAL", "#!lua flags=no-writes\nreturn 1", "0"},
                new String[]{"EVAL", "#!lua flags=no-writes,allow-stale\nreturn 1", "0"}, new String[]{"SUBSCRIBE", "ch"},
                new String[]{"WATCH", "k"}, new String[]{"CONFIG", "SET", "maxmemory", "0"}, new String[]{"SCRIPT", "KILL"},
                new String[]{"MULTI"})) {
            assertThat(held(words)).as(String.join(" ", words)).isFalse();
        }
    }

    @Test
    void insideMultiAQueuedWriteAndAnExecThatWritesAreHeld() throws Exception {
        Codecs.Context ctx = new Codecs.Context();
        List<Command> kept = new ArrayList<>();
        try {
            Command multi = command(codec, "MULTI");
            codec.answer(multi, ctx).release();
            multi.release();
            Command get = command(codec, "GET", "k");
            Command set = command(codec, "SET", "k", "v");
            assertThat(codec.heldByWritePause(get)).as("a read queued").isFalse();
            assertThat(codec.heldByWritePause(set)).as("a write queued").isTrue();
            codec.answer(get, ctx).release();
            codec.answer(set, ctx).release();
            kept.add(get);
            kept.add(set);
            Command exec = command(codec, "EXEC");
            kept.add(exec);
            assertThat(codec.heldByWritePause(exec)).as("EXEC of a transaction that writes").isTrue();
        } finally {
            kept.forEach(Command::release);
        }
    }

    @Test
    void shebangFlagsAreReadAsEvalDoes() {
        assertThat(PauseCommands.declaresNoWrites("#!lua flags=no-writes\nreturn 1")).isTrue();
        assertThat(PauseCommands.declaresNoWrites("#!lua  flags=allow-oom,no-writes \nreturn 1")).isTrue();
        assertThat(PauseCommands.declaresNoWrites("#!lua flags=no-writes")).as("no newline: invalid").isFalse();
        assertThat(PauseCommands.declaresNoWrites("#!python flags=no-writes\n")).as("another engine").isFalse();
        assertThat(PauseCommands.declaresNoWrites("#!lua flags=No-Writes\n")).as("flags are case-sensitive").isFalse();
        assertThat(PauseCommands.declaresNoWrites("return 1 -- flags=no-writes")).isFalse();
    }

    @Test
    void pauseAsksTheEngineForAnEndTimeAndUnpauseEndsIt() throws Exception {
        List<String> asked = new ArrayList<>();
        Codecs.Context ctx = new Codecs.Context() {
            @Override
            public void pauseClients(long endMillis, boolean writesOnly) {
                asked.add((endMillis == 0 ? "0" : Long.toString(Math.round((endMillis - System.currentTimeMillis()) / 1000.0)))
                        + (writesOnly ? " write" : " all"));
            }

            @Override
            public void unpauseClients() {
                asked.add("unpause");
            }
        };
        assertThat(answer(ctx, "CLIENT", "PAUSE", "5000", "write")).isEqualTo("+OK\r\n");
        assertThat(answer(ctx, "CLIENT", "PAUSE", "3000")).isEqualTo("+OK\r\n");
        assertThat(answer(ctx, "CLIENT", "PAUSE", "0", "ALL")).isEqualTo("+OK\r\n");
        assertThat(answer(ctx, "CLIENT", "UNPAUSE")).isEqualTo("+OK\r\n");
        assertThat(answer(ctx, "CLIENT", "PAUSE", "10", "sometimes")).isEqualTo("-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
        assertThat(answer(ctx, "CLIENT", "PAUSE", "-5")).isEqualTo("-ERR timeout is negative\r\n");
        assertThat(answer(ctx, "CLIENT", "PAUSE", "")).isEqualTo("-ERR timeout is not an integer or out of range\r\n");
        assertThat(asked).containsExactly("5 write", "3 all", "0 all", "unpause");
    }

    private boolean held(String... words) throws Exception {
        Command command = command(new RedisClientCodec(ClientLimits.DEFAULTS), words);
        try {
            return codec.heldByWritePause(command);
        } finally {
            command.release();
        }
    }

    private String answer(Codecs.Context ctx, String... words) throws Exception {
        Command command = command(codec, words);
        try {
            ByteBuf reply = codec.answer(command, ctx);
            try {
                return text(reply);
            } finally {
                reply.release();
            }
        } finally {
            command.release();
        }
    }
}
