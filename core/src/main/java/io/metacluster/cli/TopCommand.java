package io.metacluster.cli;

import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code metacluster top}: a running daemon seen through its admin endpoint, redrawn every
 * interval until {@code q}; {@code --once} prints one screen as plain text (two samples an
 * interval apart, so that rates are real) and exits: 0, or 1 when the endpoint cannot be read.
 */
@Command(name = "top", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 1,
        description = {"A live view of a running daemon: per listener, cluster and node, state, ops/s, errors, latency, replay depth, divergences.",
                "Read from its admin endpoint (admin: { bind: ... } in its config), the token, if any, from $METACLUSTER_ADMIN_TOKEN.",
                "Redrawn every interval; q quits. --once prints one screen as plain text and exits (1 when the endpoint cannot be read)."})
public final class TopCommand implements Callable<Integer> {
    @Option(names = {"-a", "--admin"}, paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9121",
            description = "the daemon's admin endpoint (default: ${DEFAULT-VALUE})")
    String admin;

    @Option(names = "--once", description = "print one screen as plain text and exit (no terminal needed)")
    boolean once;

    @Option(names = {"-i", "--interval-ms"}, paramLabel = "MS", defaultValue = "1000",
            description = "time between two readings (default: ${DEFAULT-VALUE})")
    long intervalMs;

    @Override
    public Integer call() throws Exception {
        if (intervalMs < 100) {
            System.err.println("metacluster top: --interval-ms must be at least 100");
            return 2;
        }
        AdminClient client = new AdminClient(admin, System.getenv("METACLUSTER_ADMIN_TOKEN"));
        if (once) {
            try {
                AdminClient.Sample first = client.sample();
                Thread.sleep(intervalMs);
                TopFrame.render(title(client, false), first, client.sample()).forEach(System.out::println);
                return 0;
            } catch (IOException e) {
                System.err.println("metacluster top: " + e.getMessage());
                return 1;
            }
        }
        return live(client);
    }

    private static String title(AdminClient client, boolean live) {
        return "metacluster top  " + client.base() + "  " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS)
                + (live ? "  (q quits)" : "");
    }

    /** Redraws until q (or Ctrl-C); an unreadable endpoint is shown on screen and retried. */
    private int live(AdminClient client) throws IOException, InterruptedException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
            if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
                // without a real terminal each redraw would be printed after the last one, for ever
                System.err.println("metacluster top: not a terminal; use --once for plain text");
                return 2;
            }
            Attributes saved = terminal.enterRawMode();
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.cursor_invisible);
            terminal.flush();
            try {
                Display display = new Display(terminal, true);
                NonBlockingReader keys = terminal.reader();
                AdminClient.Sample previous = null;
                while (true) {
                    List<String> text;
                    try {
                        AdminClient.Sample current = client.sample();
                        text = TopFrame.render(title(client, true), previous, current);
                        previous = current;
                    } catch (IOException e) {
                        text = List.of(title(client, true), "", e.getMessage());
                        previous = null;
                    }
                    display.resize(terminal.getSize().getRows(), terminal.getSize().getColumns());
                    display.update(styled(text, terminal.getSize().getRows()), -1);
                    terminal.flush();
                    if (quitPressed(keys, intervalMs)) {
                        return 0;
                    }
                }
            } finally {
                terminal.puts(Capability.cursor_visible);
                terminal.puts(Capability.exit_ca_mode);
                terminal.setAttributes(saved);
                terminal.flush();
            }
        }
    }

    /** Waits up to {@code millis} for a key; true for q, Q, Ctrl-C or the end of input. */
    private static boolean quitPressed(NonBlockingReader keys, long millis) throws IOException {
        long deadline = System.currentTimeMillis() + millis;
        for (long left = millis; left > 0; left = deadline - System.currentTimeMillis()) {
            int key = keys.read(left);
            if (key == 'q' || key == 'Q' || key == 3 || key == NonBlockingReader.EOF) {
                return true;
            }
        }
        return false;
    }

    /** The lines cut to the screen's height, the title and column headers in bold. */
    private static List<AttributedString> styled(List<String> text, int rows) {
        List<AttributedString> lines = new ArrayList<>();
        for (int i = 0; i < text.size() && (rows <= 0 || i < rows); i++) {
            String line = text.get(i);
            boolean header = i == 0 || line.startsWith("LISTENER") || line.startsWith("CLUSTER / NODE");
            lines.add(new AttributedString(line, header ? AttributedStyle.BOLD : AttributedStyle.DEFAULT));
        }
        return lines;
    }
}
