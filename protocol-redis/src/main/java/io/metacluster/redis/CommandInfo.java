package io.metacluster.redis;

import io.metacluster.spi.CommandKind;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * One row of the command table: a Redis command or subcommand and how Metacluster treats it.
 * Immutable and shared; attached to every {@link io.metacluster.spi.Command} as its
 * {@code detail()}, so later stages (verification) can read {@link #verify()} and {@link #tips()}.
 *
 * @param name        lower case, subcommands as {@code parent|sub} (as Redis's COMMAND names them)
 * @param displayName the name shown in metrics and errors: {@code GET}, {@code CONFIG GET}
 * @param arity       Redis arity: N means exactly N arguments including the name, -N at least N
 * @param kind        how the engine routes it
 * @param flags       Redis command flags
 * @param keySpecs    Redis key specs, in order
 * @param verify      {@code exact}, {@code unordered} or {@code never}: how two replies may be compared
 * @param tips        Redis command tips (request/response policies, nondeterminism)
 * @param note        why the kind is what it is; for UNSUPPORTED the error text
 * @param subcommands for a container (CONFIG, CLIENT, ...), its subcommands; otherwise {@code null}
 * @param rules       what the proxy does with it beyond routing it by kind ({@code proxy-rules.tsv})
 */
public record CommandInfo(String name, String displayName, int arity, CommandKind kind, Set<String> flags, List<KeySpec> keySpecs,
                          String verify, List<String> tips, String note, CommandTable subcommands, CommandRules rules) {

    /** The last part of the name in lower case, as bytes (the lookup key). */
    byte[] lookupKey() {
        int bar = name.indexOf('|');
        return name.substring(bar + 1).getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code argc} arguments (including the name) satisfy the arity. */
    public boolean arityAccepts(int argc) {
        return arity >= 0 ? argc == arity : argc >= -arity;
    }

    public boolean isContainer() {
        return subcommands != null;
    }
}
