package org.maesil.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code maesil.jar}: one subcommand per job (DESIGN.md, "Command line
 * contract"). Errors print one line and exit non-zero.
 */
@Command(name = "maesil",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "MAESIL, a 3D masked autoencoder for CT, on a plain-Java engine.",
        subcommands = {
                CommandLine.HelpCommand.class,
                PhantomCommand.class,
                InfoCommand.class,
                ConvertCommand.class,
                org.maesil.metrics.MetricsCommand.class,
                BenchCommand.class,
                DevicesCommand.class,
                PortabilityCommand.class,
                org.maesil.harness.train.TrainCommand.class,
                org.maesil.harness.train.ReconstructCommand.class,
                org.maesil.harness.compare.CompareCommand.class,
                org.maesil.harness.compare.DemoCommand.class,
        })
public final class Main implements Runnable {

    public static void main(String[] args) {
        if (Launcher.relaunchIfNeeded(args)) return;
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            err.println("error: " + oneLine(ex));
            if (Boolean.getBoolean("maesil.debug")) ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    static String oneLine(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) msg = ex.getClass().getSimpleName();
        return msg.replace('\n', ' ');
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The version string, from the build. */
    public static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/maesil-version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"maesil " + version(),
                    "JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")};
        }
    }
}
