package com.example.redismodules;

import io.metacluster.spi.CommandKind;

import java.util.Map;

/**
 * How a module command is routed: its kind and where its keys are, as Redis key specs say it
 * ({@code firstKey} and {@code lastKey} argument indexes, the name being 0; a negative
 * {@code lastKey} counts from the end, -1 the last argument; {@code step} between keys).
 *
 * @param arity Redis arity: N exactly N arguments with the name, -N at least N
 */
record ModuleCommand(CommandKind kind, int arity, int firstKey, int lastKey, int step) {

    /** The declared commands, by upper-case name. Add a row to route one more. */
    static final Map<String, ModuleCommand> DECLARED = Map.of(
            "JSON.SET", new ModuleCommand(CommandKind.WRITE, -4, 1, 1, 1),
            "JSON.GET", new ModuleCommand(CommandKind.READ, -2, 1, 1, 1),
            "JSON.DEL", new ModuleCommand(CommandKind.WRITE, -2, 1, 1, 1),
            "JSON.MGET", new ModuleCommand(CommandKind.READ, -3, 1, -2, 1),
            "BF.ADD", new ModuleCommand(CommandKind.WRITE, 3, 1, 1, 1),
            "BF.EXISTS", new ModuleCommand(CommandKind.READ, 3, 1, 1, 1),
            "BF.MADD", new ModuleCommand(CommandKind.WRITE, -3, 1, 1, 1),
            "BF.MEXISTS", new ModuleCommand(CommandKind.READ, -3, 1, 1, 1));

    boolean arityAccepts(int count) {
        return arity >= 0 ? count == arity : count >= -arity;
    }

    /** The argument index of the last key of a request of {@code count} arguments. */
    int lastKey(int count) {
        return lastKey >= 0 ? lastKey : count + lastKey;
    }
}
