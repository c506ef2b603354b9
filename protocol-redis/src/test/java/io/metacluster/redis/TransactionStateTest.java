package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/** The MULTI ... EXEC state machine on its own: what each command becomes outside and inside a transaction. */
class TransactionStateTest {
    private final TransactionState state = new TransactionState(ClientLimits.DEFAULTS);
    private final RequestFramer framer = new RequestFramer(ClientLimits.DEFAULTS);
    private final CommandClassifier classifier = new CommandClassifier(CommandTable.standard(), RedisOptions.Unknown.REJECT,
            RedisOptions.ServerCommands.REFUSE);

    @AfterEach
    void dropTheQueue() {
        state.end();
    }

    /** The command {@code words} make, framed and classified from bytes, then admitted. */
    private Command admit(String... words) throws Exception {
        ByteBuf in = buf(mb(words));
        try {
            return state.admit(classifier.classify(framer.next(in), framer.args()));
        } finally {
            in.release();
        }
    }

    /** Kind, name and rejection of what {@code words} become; released. */
    private String outcome(String... words) throws Exception {
        Command command = admit(words);
        try {
            String queued = command.detail() instanceof Transaction.Queued q ? " queued " + q.command().kind() : "";
            return command.kind() + " " + command.name() + queued + (command.rejection() == null ? "" : ": " + command.rejection());
        } finally {
            command.release();
        }
    }

    /** As AdminCommands does with a queued command: the transaction keeps one reference. */
    private void queue(String... words) throws Exception {
        Command command = admit(words);
        String refusal = command.detail() instanceof Transaction.Queued queued ? state.queue(queued.command().retain())
                : "not queued: " + command;
        command.release();
        assertThat(refusal).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "GET k ; READ GET",
            "SET k v ; WRITE SET",
            "MULTI ; ADMIN MULTI",
            "PING ; ADMIN PING",
            "EXEC ; UNSUPPORTED EXEC: EXEC without MULTI",
            "DISCARD ; UNSUPPORTED DISCARD: DISCARD without MULTI",
    })
    void outsideATransactionOnlyExecAndDiscardChange(String words, String expected) throws Exception {
        assertThat(outcome(words.trim().split(" "))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "GET k ; ADMIN GET queued READ",
            "SET k v ; ADMIN SET queued WRITE",
            "PUBLISH c m ; ADMIN PUBLISH queued CONDITIONAL_WRITE",
            "PING ; ADMIN PING queued ADMIN",
            "ECHO x ; ADMIN ECHO queued ADMIN",
            "QUIT ; ADMIN QUIT",
            "RESET ; ADMIN RESET",
            "DISCARD ; ADMIN DISCARD",
            "MULTI ; UNSUPPORTED MULTI: MULTI calls can not be nested",
            "WATCH k ; UNSUPPORTED WATCH: WATCH inside MULTI is not allowed",
    })
    void insideATransaction(String words, String expected) throws Exception {
        state.begin();
        assertThat(outcome(words.trim().split(" "))).isEqualTo(expected);
    }

    @Test
    void execForwardsTheQueuedCommandsAsOneBlock() throws Exception {
        state.begin();
        queue("SET", "k", "v");
        queue("GET", "k");
        Command exec = admit("EXEC");
        try {
            assertThat(exec.kind()).as("a transaction with a write goes to every cluster").isEqualTo(CommandKind.WRITE);
            assertThat(exec.detail()).isEqualTo(new Transaction.Exec(2));
            assertThat(text(exec.frame())).isEqualTo(mb("MULTI") + mb("SET", "k", "v") + mb("GET", "k") + mb("EXEC"));
            assertThat(text(exec.key(0))).isEqualTo("k");
            assertThat(exec.keyCount()).isEqualTo(2);
        } finally {
            exec.release();
        }
        assertThat(outcome("EXEC")).as("the transaction ended").isEqualTo("UNSUPPORTED EXEC: EXEC without MULTI");
    }

    @Test
    void aReadOnlyTransactionIsARead() throws Exception {
        state.begin();
        queue("GET", "a");
        queue("PING");
        Command exec = admit("EXEC");
        try {
            assertThat(exec.kind()).isEqualTo(CommandKind.READ);
        } finally {
            exec.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {"BLPOP k 0", "BZPOPMIN z 0", "BLMOVE a b LEFT RIGHT 0", "XREAD BLOCK 0 STREAMS s 0", "WAIT 0 0"})
    void aBlockingCommandInsideMultiIsQueuedAndMakesAWrite(String words) throws Exception {
        state.begin();
        queue("GET", "a");
        queue(words.trim().split(" "));
        Command exec = admit("EXEC");
        try {
            assertThat(exec.kind()).as("runs without blocking on every cluster, as Redis runs it inside MULTI")
                    .isEqualTo(CommandKind.WRITE);
        } finally {
            exec.release();
        }
    }

    @Test
    void anEmptyExecIsLeftForTheProxyToAnswer() throws Exception {
        state.begin();
        assertThat(outcome("EXEC")).isEqualTo("ADMIN EXEC");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "CLIENT SETNAME x ; UNSUPPORTED CLIENT SETNAME: CLIENT SETNAME inside MULTI is not supported by metacluster",
            "SUBSCRIBE c ; UNSUPPORTED SUBSCRIBE: SUBSCRIBE inside MULTI is not supported by metacluster",
            "GET ; UNSUPPORTED GET: wrong number of arguments for 'get' command",
    })
    void aCommandThatCannotBeQueuedAbortsTheTransaction(String words, String refusal) throws Exception {
        state.begin();
        queue("SET", "k", "v");
        assertThat(outcome(words.trim().split(" "))).isEqualTo(refusal);
        assertThat(outcome("EXEC")).isEqualTo("UNSUPPORTED EXEC: " + Transaction.EXECABORT);
        assertThat(outcome("GET", "k")).as("the transaction ended").isEqualTo("READ GET");
    }

    @Test
    void endDropsWhatWasQueued() throws Exception {
        state.begin();
        queue("SET", "k", "v");
        state.end();
        assertThat(outcome("SET", "k", "v")).isEqualTo("WRITE SET");
        assertThat(state.queue(admit("GET", "k"))).as("nothing to queue in").startsWith("no transaction");
    }
}
