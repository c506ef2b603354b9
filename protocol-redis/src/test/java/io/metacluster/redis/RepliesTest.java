package io.metacluster.redis;

import io.metacluster.spi.BackendSettings;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.metacluster.redis.Codecs.buf;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one rule for "this reply is a failure", which the backend codec (write policies count
 * failures by it) and verification (an error concludes nothing) share, and the nil rule.
 */
class RepliesTest {
    private static final RedisBackendCodec BACKEND = new RedisBackendCodec(new BackendSettings("dc1", "h:1", null, null, 0));

    private static Command get() {
        return Command.of(buf("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), "GET", CommandKind.READ, null, null);
    }

    /** A forwarded transaction of {@code commands} commands, as TransactionState makes it. */
    private static Command exec(int commands) {
        return Command.of(buf("*1\r\n$4\r\nEXEC\r\n"), "EXEC", CommandKind.WRITE, null, new Transaction.Exec(commands));
    }

    /** Whether every rule calls {@code reply} to {@code request} (released here, if any) an error. */
    private static boolean isError(Command request, String reply) {
        ByteBuf buf = buf(reply.replace("\\r\\n", "\r\n"));
        try {
            boolean error = Replies.isError(request, buf);
            assertThat(BACKEND.isError(request, buf)).as("the backend codec's rule").isEqualTo(error);
            assertThat(RedisVerification.standard().isError(request, buf)).as("verification's rule").isEqualTo(error);
            assertThat(buf.readerIndex()).as("nothing consumed").isZero();
            return error;
        } finally {
            buf.release();
            if (request != null) {
                request.release();
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "-ERR x\\r\\n                 | true",
            "-LOADING busy\\r\\n          | true",
            "!3\\r\\nERR\\r\\n            | true",
            "+OK\\r\\n                    | false",
            ":0\\r\\n                     | false",
            "$-1\\r\\n                    | false",
            "*-1\\r\\n                    | false",
            "*1\\r\\n-ERR inside\\r\\n    | false",
            "+OK\\r\\n-ERR next reply     | false",
            "''                           | true",
    })
    void aReplyToAPlainRequest(String reply, boolean error) {
        assertThat(isError(get(), reply)).isEqualTo(error);
        assertThat(isError(null, reply)).as("without the request").isEqualTo(error);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            // EXEC ran: its array is the result, whatever its elements say
            "+OK\\r\\n+QUEUED\\r\\n*1\\r\\n$1\\r\\nv\\r\\n                           | false",
            "+OK\\r\\n+QUEUED\\r\\n*1\\r\\n-WRONGTYPE Operation\\r\\n                | false",
            // a queued command refused by the server: EXEC aborts, nothing was applied
            "+OK\\r\\n-OOM command not allowed\\r\\n-EXECABORT Transaction\\r\\n     | true",
            // a nil EXEC (a WATCHed key changed) is an answer, not a broken cluster
            "+OK\\r\\n+QUEUED\\r\\n*-1\\r\\n                                        | false",
    })
    void aTransactionIsJudgedByItsExecReply(String reply, boolean error) {
        assertThat(isError(exec(1), reply)).isEqualTo(error);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "$-1\\r\\n          | true",
            "*-1\\r\\n          | true",
            "_\\r\\n            | true",
            "$0\\r\\n\\r\\n     | false",
            "*0\\r\\n           | false",
            "-ERR x\\r\\n       | false",
            "''                 | false",
    })
    void nil(String reply, boolean nil) {
        ByteBuf buf = buf(reply.replace("\\r\\n", "\r\n"));
        try {
            assertThat(Replies.isNil(buf)).isEqualTo(nil);
        } finally {
            buf.release();
        }
    }
}
