package dev.pocketlm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The {@code pocket} command. */
@Command(name = "pocket", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, scope = ScopeType.INHERIT,
        description = "Small language models on any accelerator.",
        subcommands = {BackendsCommand.class, GenerateCommand.class, TokenizeCommand.class, InfoCommand.class,
                InitCommand.class, QuantizeCommand.class, TrainCommand.class, DistillCommand.class, EvalCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%n");
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: errors print one clear line, not a stack trace (unless POCKET_DEBUG is set). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (System.getenv("POCKET_DEBUG") != null) ex.printStackTrace();
            cmd.getErr().println("pocket " + cmd.getCommandName() + ": " + Errors.describe(ex));
            return 1;
        });
        return cl;
    }

    @Override public void run() {
        CommandLine.usage(this, System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[]{"pocket " + p.getProperty("version", "unknown")
                    + " (Java " + Runtime.version() + ", " + System.getProperty("os.arch") + ")"};
        }
    }
}
