package io.metacluster.redis;

import io.metacluster.spi.ClientLimits;
import io.metacluster.spi.Command;
import io.metacluster.spi.CommandKind;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.metacluster.redis.Codecs.buf;
import static io.metacluster.redis.Codecs.mb;
import static io.metacluster.redis.Codecs.text;
import static org.assertj.core.api.Assertions.assertThat;

/** EVALSHA of a script the proxy has seen leaves as EVAL with the body, keys where they now are. */
class ScriptBodiesTest {
    private final RedisClientCodec codec = new RedisClientCodec(ClientLimits.DEFAULTS);

    private Command decode(String... words) throws Exception {
        ByteBuf in = buf(mb(words));
        try {
            return codec.decode(in);
        } finally {
            in.release();
        }
    }

    @Test
    void aKnownEvalshaIsForwardedAsEvalWithItsKeysAndNameKept() throws Exception {
        String body = "return {KEYS[1], KEYS[2], ARGV[1], '" + System.nanoTime() + "'}";
        String sha = ScriptBodies.sha1(body.getBytes(StandardCharsets.UTF_8));
        decode("SCRIPT", "LOAD", body).release();
        Command evalsha = decode("evalsha", sha.toUpperCase(), "2", "key-one", "k2", "arg");
        try {
            assertThat(text(evalsha.frame())).isEqualTo(mb("EVAL", body, "2", "key-one", "k2", "arg"));
            assertThat(evalsha.name()).isEqualTo("EVALSHA");
            assertThat(evalsha.kind()).isEqualTo(CommandKind.WRITE);
            assertThat(text(evalsha.key(0))).isEqualTo("key-one");
            assertThat(text(evalsha.key(1))).isEqualTo("k2");
        } finally {
            evalsha.release();
        }
        Command ro = decode("EVALSHA_RO", sha, "0");
        try {
            assertThat(text(ro.frame())).isEqualTo(mb("EVAL_RO", body, "0"));
            assertThat(ro.kind()).isEqualTo(CommandKind.READ);
        } finally {
            ro.release();
        }
    }

    @Test
    void anUnknownOrFlushedScriptGoesAsItCame() throws Exception {
        String body = "return '" + System.nanoTime() + "'";
        String sha = ScriptBodies.sha1(body.getBytes(StandardCharsets.UTF_8));
        decode("EVAL", body, "0").release();
        decode("SCRIPT", "FLUSH").release();
        Command evalsha = decode("EVALSHA", sha, "0");
        assertThat(text(evalsha.frame())).isEqualTo(mb("EVALSHA", sha, "0"));
        evalsha.release();
        Command wrong = decode("EVALSHA", sha);
        assertThat(wrong.kind()).as("arity: refused, not rewritten").isEqualTo(CommandKind.UNSUPPORTED);
        wrong.release();
    }

    @Test
    void theCacheIsBoundedOldestFirst() {
        ScriptBodies bodies = new ScriptBodies();
        byte[] first = "return 1".getBytes(StandardCharsets.UTF_8);
        bodies.learn(first);
        for (int i = 0; i < ScriptBodies.MAX_SCRIPTS; i++) {
            bodies.learn(("return " + (i + 2)).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(bodies.body(ScriptBodies.sha1(first))).isNull();
        assertThat(bodies.body(ScriptBodies.sha1("return 2".getBytes(StandardCharsets.UTF_8)))).isNotNull();
    }
}
