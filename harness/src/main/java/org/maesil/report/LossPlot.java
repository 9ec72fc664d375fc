package org.maesil.report;

import java.util.List;
import java.util.Locale;

/**
 * Training-loss curves as an inline SVG (no scripts, no external references): one polyline per
 * curve on a logarithmic loss axis (linear when a curve has a non-positive value), step on the
 * horizontal axis, with ticks, grid lines and a legend.
 */
public final class LossPlot {
    private LossPlot() {}

    /** Colours by curve index (colour-blind-friendly Okabe-Ito palette). */
    static final String[] COLOURS = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};

    public record Series(String label, int[] steps, double[] values) {}

    /** An SVG element of the given size (px) plotting the series; title above the plot. */
    public static String svg(String title, List<Series> series, int width, int height) {
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        boolean log = true;
        for (Series s : series) {
            for (int i = 0; i < s.steps().length; i++) {
                double y = s.values()[i];
                if (!Double.isFinite(y)) continue;
                minX = Math.min(minX, s.steps()[i]);
                maxX = Math.max(maxX, s.steps()[i]);
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
                if (y <= 0) log = false;
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
                width, height, width, height));
        b.append("<title>").append(Html.escape(title)).append("</title>");
        int left = 62, right = 12, top = 28, bottom = 40;
        int pw = width - left - right, ph = height - top - bottom;
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" class=\"plot-title\">%s</text>", left, Html.escape(title)));
        if (series.isEmpty() || !Double.isFinite(minX)) {
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">no loss values recorded</text></svg>", left, top + ph / 2));
            return b.toString();
        }
        if (maxX == minX) maxX = minX + 1;
        double lo = log ? Math.log10(minY) : minY, hi = log ? Math.log10(maxY) : maxY;
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        double pad = 0.04 * (hi - lo);
        lo -= pad;
        hi += pad;
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot-frame\"/>", left, top, pw, ph));
        // vertical axis ticks: decades (log) or 5 even steps (linear)
        if (log) {
            for (int e = (int) Math.floor(lo); e <= (int) Math.ceil(hi); e++) {
                for (int m = 1; m <= 9; m++) {
                    double v = Math.log10(m) + e;
                    if (v < lo || v > hi) continue;
                    double py = top + ph * (hi - v) / (hi - lo);
                    boolean major = m == 1;
                    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>",
                            left, left + pw, py, py, major ? "grid-major" : "grid-minor"));
                    if (major || (hi - lo < 2.2 && (m == 2 || m == 5))) {
                        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" class=\"tick-y\">%s</text>",
                                left - 6, py + 4, tickLabel(m * Math.pow(10, e))));
                    }
                }
            }
        } else {
            for (int i = 0; i <= 5; i++) {
                double v = lo + (hi - lo) * i / 5;
                double py = top + ph * (hi - v) / (hi - lo);
                b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid-major\"/>", left, left + pw, py, py));
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" class=\"tick-y\">%s</text>", left - 6, py + 4, tickLabel(v)));
            }
        }
        // horizontal axis: "nice" steps (1, 2 or 5 times a power of ten)
        double step = niceStep((maxX - minX) / 5);
        for (double v = Math.ceil(minX / step) * step; v <= maxX + 1e-9 * step; v += step) {
            double px = left + pw * (v - minX) / (maxX - minX);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"grid-minor\"/>", px, px, top, top + ph));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"tick-x\">%d</text>", px, top + ph + 16, Math.round(v)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"axis-label\">step</text>", left + pw / 2, height - 6));
        b.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" class=\"axis-label\" transform=\"rotate(-90 14 %d)\">loss%s</text>",
                top + ph / 2, top + ph / 2, log ? " (log)" : ""));
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < s.steps().length; i++) {
                double y = s.values()[i];
                if (!Double.isFinite(y)) continue;
                double v = log ? Math.log10(y) : y;
                double px = left + pw * (s.steps()[i] - minX) / (maxX - minX);
                double py = top + ph * (hi - v) / (hi - lo);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            String colour = COLOURS[k % COLOURS.length];
            b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"%s\"/>",
                    colour, pts.toString().strip()));
            int ly = top + 14 + 16 * k;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>",
                    left + pw - 150, left + pw - 130, ly - 4, ly - 4, colour));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>",
                    left + pw - 124, ly, Html.escape(s.label())));
        }
        b.append("</svg>");
        return b.toString();
    }

    /** The smallest of 1, 2, 5 times a power of ten that is at least raw. */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= raw) return m * p;
        return 10 * p;
    }

    static String tickLabel(double v) {
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 1e4 || a < 1e-3) return String.format(Locale.ROOT, "%.0e", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
    }
}
