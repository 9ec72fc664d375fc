package org.maesil.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line training progress display on a stream (stderr):
 * {@code [#####.....]  120/500  loss 0.01234  5.1k tokens/s  ETA 2m03s}.
 * On a terminal the line is redrawn in place (carriage return) at most every 200 ms; when
 * the stream is not a terminal (logs, CI) one line is printed every {@code plainEverySeconds}.
 * Throughput and ETA are measured from the steps of this process only (not a resumed run's
 * earlier steps).
 */
public final class ProgressBar {
    private static final int BAR = 24;

    private final PrintStream out;
    private final long total;
    private final long first;
    private final String unit;
    private final boolean terminal;
    private final double plainEverySeconds;
    private final long startNanos;
    private long lastDrawNanos;
    private long lastStep;
    private int lastWidth;

    /**
     * @param first the step this process starts from (0, or a resumed checkpoint's step)
     * @param unit  what the throughput counts ("tokens", "voxels")
     */
    public ProgressBar(PrintStream out, long first, long total, String unit, boolean terminal, double plainEverySeconds) {
        this.out = out;
        this.first = first;
        this.total = total;
        this.unit = unit;
        this.terminal = terminal;
        this.plainEverySeconds = plainEverySeconds;
        this.startNanos = System.nanoTime();
        this.lastDrawNanos = Long.MIN_VALUE / 2;
        this.lastStep = first;
    }

    /** A bar on stderr, redrawn in place when a console is attached. */
    public static ProgressBar stderr(long first, long total, String unit) {
        return new ProgressBar(System.err, first, total, unit, System.console() != null, 10.0);
    }

    /** Reports that {@code step} steps are done, the last with {@code loss}; {@code work} units done since start. */
    public void update(long step, double loss, long work) {
        lastStep = step;
        long now = System.nanoTime();
        double minGap = terminal ? 0.2 : plainEverySeconds;
        if (step < total && (now - lastDrawNanos) * 1e-9 < minGap) return;
        lastDrawNanos = now;
        String line = render(step, loss, work, (now - startNanos) * 1e-9);
        if (terminal) {
            int pad = Math.max(0, lastWidth - line.length());
            out.print("\r" + line + " ".repeat(pad));
            lastWidth = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Ends the line (terminal mode). */
    public void finish() {
        if (terminal && lastWidth > 0) {
            out.println();
            out.flush();
        }
    }

    /** The text of one progress line. */
    String render(long step, double loss, long work, double seconds) {
        int filled = total <= 0 ? BAR : (int) Math.min(BAR, BAR * step / total);
        StringBuilder sb = new StringBuilder();
        sb.append('[').append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ");
        int digits = Long.toString(total).length();
        sb.append(String.format(Locale.ROOT, "%" + digits + "d/%d", step, total));
        sb.append(String.format(Locale.ROOT, "  loss %.5g", loss));
        long done = step - first;
        if (seconds > 0 && done > 0) {
            sb.append("  ").append(human(work / seconds)).append(' ').append(unit).append("/s");
            double eta = (total - step) * seconds / done;
            sb.append("  ETA ").append(duration(eta));
        }
        return sb.toString();
    }

    static String human(double v) {
        if (v >= 1e9) return String.format(Locale.ROOT, "%.2fG", v / 1e9);
        if (v >= 1e6) return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        if (v >= 1e3) return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
