package io.metacluster.admin;

import io.metacluster.engine.Engine;
import io.metacluster.engine.Reloads;
import io.metacluster.engine.ResyncOrders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the admin endpoint's POSTs do: {@code /reload} reloads the config file (200 with what
 * changed, 422 with why it was refused, 409 when the daemon has no file to reload), and
 * {@code /clusters/NAME/resync} or {@code /clusters/NAME/nodes/HOST:PORT/resync} starts a resync
 * (202 with the nodes, 404 for an unknown cluster or node, 409 when none could start).
 */
final class AdminActions {
    /** The paths, as shown to a client that asked for another one. */
    static final List<String> PATHS = List.of("/reload", "/clusters/NAME/resync", "/clusters/NAME/nodes/HOST:PORT/resync");
    private static final Pattern RESYNC = Pattern.compile("/clusters/([^/]+)(?:/nodes/([^/]+))?/resync");

    private final Engine engine;

    AdminActions(Engine engine) {
        this.engine = engine;
    }

    /** Whether {@code path} is one of the POST paths. */
    static boolean handles(String path) {
        return path.equals("/reload") || RESYNC.matcher(path).matches();
    }

    /** The answer to a POST of {@code path}, one that {@link #handles}. */
    AdminRoutes.Response post(String path) {
        if (path.equals("/reload")) {
            return reload();
        }
        Matcher resync = RESYNC.matcher(path);
        if (!resync.matches()) {
            throw new IllegalArgumentException("no action " + path);
        }
        ResyncOrders.Answer answer = engine.resync(resync.group(1), resync.group(2));
        return AdminRoutes.json(HttpResponseStatus.valueOf(answer.outcome().status),
                Map.of("nodes", answer.nodes(), "message", answer.message()));
    }

    private AdminRoutes.Response reload() {
        Reloads reloads = engine.reloads();
        if (reloads == null) {
            return AdminRoutes.json(HttpResponseStatus.CONFLICT, Map.of("applied", false,
                    "message", "this daemon was not started from a config file: nothing to reload"));
        }
        Reloads.Outcome outcome = reloads.reload("POST /reload");
        return AdminRoutes.json(outcome.applied() ? HttpResponseStatus.OK : HttpResponseStatus.UNPROCESSABLE_ENTITY,
                Map.of("applied", outcome.applied(), "changes", outcome.changes(), "message", outcome.message()));
    }
}
