package org.maesil.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.maesil.metrics.Bootstrap;
import org.maesil.metrics.Ssim;
import org.maesil.report.ExperimentResult.Figure;
import org.maesil.report.ExperimentResult.Scores;
import org.maesil.report.SliceImages.Image;
import org.maesil.report.SliceImages.View;

/**
 * Renders an {@link ExperimentResult} as one self-contained HTML page: inline CSS, images as
 * base64 PNG data URIs, plots as inline SVG, no scripts and no network references, so that it
 * opens from a file anywhere. Sections: Table II, Table III, per-dataset scores, Figure 3,
 * training losses, protocol, provenance.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** Error images map |original - reconstruction| on [0, ERROR_MAX] to the heat scale. */
    public static final float ERROR_MAX = 0.2f;

    private static final List<String> MODEL_ORDER = List.of("ae", "vae", "vqvae", "maesil");

    public static String render(ExperimentResult r) {
        StringBuilder b = new StringBuilder(1 << 16);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(Html.escape(r.title())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
        b.append("<h1>").append(Html.escape(r.title())).append("</h1>\n");
        if (r.subtitle() != null) b.append("<p class=\"subtitle\">").append(Html.escape(r.subtitle())).append("</p>\n");
        b.append("<p class=\"legend-note\"><span class=\"tag measured\">measured</span> numbers come from this run: mean over test volumes with a 95% bootstrap interval in brackets. "
                + "<span class=\"tag paper\">paper</span> numbers are copied from the MAESIL paper (real CT data, paper-size models) for comparison only.</p>\n");
        for (String n : r.notes()) b.append("<p class=\"note\">").append(Html.escape(n)).append("</p>\n");
        nav(b, r);
        tableII(b, r);
        tableIII(b, r);
        perDataset(b, r);
        figures(b, r);
        losses(b, r);
        protocol(b, r);
        provenance(b, r);
        b.append("</main>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void nav(StringBuilder b, ExperimentResult r) {
        b.append("<nav><a href=\"#table2\">Table II</a> <a href=\"#table3\">Table III</a> <a href=\"#per-dataset\">Per dataset</a> "
                + "<a href=\"#figure3\">Figure 3</a> <a href=\"#losses\">Training loss</a> <a href=\"#protocol\">Protocol</a> "
                + "<a href=\"#provenance\">Provenance</a></nav>\n");
    }

    // ------------------------------------------------------------------ tables

    private static void tableII(StringBuilder b, ExperimentResult r) {
        b.append("<section id=\"table2\"><h2>Table II &mdash; comparison with other models</h2>\n");
        b.append("<table class=\"scores\"><thead><tr><th rowspan=\"2\">Model</th>")
                .append("<th colspan=\"2\">PSNR (dB) &uarr;</th><th colspan=\"3\">SSIM &uarr;</th><th colspan=\"2\">LPIPS &darr;</th></tr>\n<tr>")
                .append("<th class=\"measured\">measured</th><th class=\"paper\">paper</th>")
                .append("<th class=\"measured\">measured 3D</th><th class=\"measured\">measured 2D</th><th class=\"paper\">paper</th>")
                .append("<th class=\"measured\">measured</th><th class=\"paper\">paper</th></tr></thead><tbody>\n");
        List<String> notes = new ArrayList<>();
        for (String model : models(r)) {
            Scores s = find(r, model, ExperimentResult.ALL_DATASETS);
            PaperNumbers.Row p = PaperNumbers.TABLE_II.get(model);
            b.append("<tr><th>").append(Html.escape(PaperNumbers.modelLabel(model))).append("</th>");
            b.append(cell(s == null ? null : s.psnr(), 2, "measured"));
            b.append(paperCell(p == null ? null : p.psnr(), 2));
            b.append(cell(s == null ? null : s.ssim3d(), 4, "measured"));
            b.append(cell(s == null ? null : s.ssim2d(), 4, "measured"));
            b.append(paperCell(p == null ? null : p.ssim(), 2));
            if (s != null && s.lpips() == null) {
                b.append("<td class=\"measured na\">not computed</td>");
                if (s.lpipsNote() != null && !notes.contains(s.lpipsNote())) notes.add(s.lpipsNote());
            } else {
                b.append(cell(s == null ? null : s.lpips(), 3, "measured"));
            }
            b.append(paperCell(p == null ? null : p.lpips(), 2));
            b.append("</tr>\n");
            if (s != null && s.maskedPsnr() != null) {
                notes.add(PaperNumbers.modelLabel(model) + ": the PSNR above scores the composite (visible patches from the input, masked ones predicted); "
                        + "on the masked patches alone it is " + summary(s.maskedPsnr(), 2) + " dB.");
            }
        }
        b.append("</tbody></table>\n");
        Scores any = r.scores().stream().filter(s -> s.dataset().equals(ExperimentResult.ALL_DATASETS)).findFirst().orElse(null);
        if (any != null) {
            b.append("<p class=\"caption\">Measured: all test volumes of every dataset pooled (n = ")
                    .append(any.psnr().n()).append(" volumes). Paper: Table II of the MAESIL paper.</p>\n");
        }
        for (String n : notes) b.append("<p class=\"note\">").append(Html.escape(n)).append("</p>\n");
        b.append("</section>\n");
    }

    private static void tableIII(StringBuilder b, ExperimentResult r) {
        b.append("<section id=\"table3\"><h2>Table III &mdash; MAESIL PSNR per dataset</h2>\n");
        b.append("<table class=\"scores\"><thead><tr><th>Dataset</th><th class=\"measured\">PSNR (dB), measured</th>")
                .append("<th class=\"paper\">paper dataset</th><th class=\"paper\">PSNR (dB), paper</th></tr></thead><tbody>\n");
        for (String d : datasets(r)) {
            Scores s = find(r, "maesil", d);
            String paperSet = r.paperDataset() == null ? null : r.paperDataset().get(d);
            Double paper = paperSet == null ? null : PaperNumbers.TABLE_III.get(paperSet);
            b.append("<tr><th>").append(Html.escape(d)).append("</th>")
                    .append(cell(s == null ? null : s.psnr(), 2, "measured"))
                    .append("<td class=\"paper text\">").append(paperSet == null ? "&mdash;" : Html.escape(paperSet)).append("</td>")
                    .append(paperCell(paper, 2)).append("</tr>\n");
        }
        b.append("</tbody></table>\n<p class=\"caption\">Each measured dataset stands beside the paper dataset of the same body region; "
                + "they are different data unless the dataset names agree.</p>\n</section>\n");
    }

    private static void perDataset(StringBuilder b, ExperimentResult r) {
        b.append("<section id=\"per-dataset\"><h2>Every model on every dataset (measured)</h2>\n");
        b.append("<table class=\"scores\"><thead><tr><th>Dataset</th><th>Model</th><th>PSNR (dB)</th><th>SSIM 3D</th>")
                .append("<th>SSIM 2D</th><th>LPIPS</th><th>PSNR masked only</th><th>n</th></tr></thead><tbody>\n");
        for (String d : datasets(r)) {
            for (String m : models(r)) {
                Scores s = find(r, m, d);
                if (s == null) continue;
                b.append("<tr><td>").append(Html.escape(d)).append("</td><td class=\"text\">").append(Html.escape(PaperNumbers.modelLabel(m))).append("</td>")
                        .append(cell(s.psnr(), 2, "")).append(cell(s.ssim3d(), 4, "")).append(cell(s.ssim2d(), 4, ""))
                        .append(s.lpips() == null ? "<td class=\"na\">not computed</td>" : cell(s.lpips(), 3, ""))
                        .append(s.maskedPsnr() == null ? "<td class=\"na\">&mdash;</td>" : cell(s.maskedPsnr(), 2, ""))
                        .append("<td>").append(s.psnr().n()).append("</td></tr>\n");
            }
        }
        b.append("</tbody></table>\n</section>\n");
    }

    private static String cell(Bootstrap.Summary s, int digits, String cls) {
        if (s == null) return "<td class=\"" + cls + " na\">&mdash;</td>";
        return "<td class=\"" + cls + "\">" + summaryHtml(s, digits) + "</td>";
    }

    private static String paperCell(Double v, int digits) {
        if (v == null) return "<td class=\"paper na\">&mdash;</td>";
        return "<td class=\"paper\">" + String.format(Locale.ROOT, "%." + digits + "f", v) + "</td>";
    }

    static String summaryHtml(Bootstrap.Summary s, int digits) {
        String f = "%." + digits + "f";
        if (Double.isInfinite(s.mean())) return "+&infin; <span class=\"ci\">(identical volumes)</span>";
        String m = String.format(Locale.ROOT, f, s.mean());
        if (s.n() < 2) return m + " <span class=\"ci\">(n = 1, no interval)</span>";
        return m + " <span class=\"ci\">[" + String.format(Locale.ROOT, f, s.low()) + ", "
                + String.format(Locale.ROOT, f, s.high()) + "]</span>";
    }

    static String summary(Bootstrap.Summary s, int digits) {
        String f = "%." + digits + "f";
        if (s.n() < 2) return String.format(Locale.ROOT, f, s.mean());
        return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", s.mean(), s.low(), s.high());
    }

    // ------------------------------------------------------------------ figures

    private static void figures(StringBuilder b, ExperimentResult r) {
        b.append("<section id=\"figure3\"><h2>Figure 3 &mdash; axial, coronal and sagittal views</h2>\n");
        b.append("<p class=\"caption\">Middle slices of one test volume per model and dataset. Rows: original, ")
                .append("masked input (MAESIL: masked patches tinted), reconstruction, absolute error on a heat scale from 0 (black) to ")
                .append(String.format(Locale.ROOT, "%.2f", ERROR_MAX)).append(" or more (white). Coronal and sagittal views show the superior side up.</p>\n");
        if (r.figures().isEmpty()) b.append("<p class=\"na\">No figures in this result.</p>\n");
        b.append("<div class=\"figures\">\n");
        for (Figure f : r.figures()) figure(b, f);
        b.append("</div>\n</section>\n");
    }

    private static void figure(StringBuilder b, Figure f) {
        b.append("<figure class=\"panel\"><figcaption>").append(Html.escape(PaperNumbers.modelLabel(f.model())))
                .append(" &middot; ").append(Html.escape(f.dataset())).append(" &middot; <span class=\"ci\">")
                .append(Html.escape(f.volumeName())).append(" (").append(f.nx()).append("&times;").append(f.ny())
                .append("&times;").append(f.nz()).append(")</span></figcaption>\n<table class=\"views\"><tr><th></th>");
        for (View v : View.values()) b.append("<th>").append(v.name().charAt(0)).append(v.name().substring(1).toLowerCase(Locale.ROOT)).append("</th>");
        b.append("</tr>\n");
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (View v : View.values()) {
            Image o = SliceImages.middle(f.original(), f.nx(), f.ny(), f.nz(), v);
            Image rec = SliceImages.middle(f.reconstruction(), f.nx(), f.ny(), f.nz(), v);
            rows.computeIfAbsent("original", k -> new ArrayList<>()).add(SliceImages.dataUri(SliceImages.greyPng(o)));
            if (f.mask() != null) {
                Image m = SliceImages.middle(f.mask(), f.nx(), f.ny(), f.nz(), v);
                rows.computeIfAbsent("masked input", k -> new ArrayList<>()).add(SliceImages.dataUri(SliceImages.maskedPng(o, m)));
            }
            rows.computeIfAbsent("reconstruction", k -> new ArrayList<>()).add(SliceImages.dataUri(SliceImages.greyPng(rec)));
            rows.computeIfAbsent("|error|", k -> new ArrayList<>())
                    .add(SliceImages.dataUri(SliceImages.heatPng(SliceImages.absoluteError(o, rec), ERROR_MAX)));
        }
        for (var e : rows.entrySet()) {
            b.append("<tr><th class=\"rowlabel\">").append(Html.escape(e.getKey())).append("</th>");
            for (String uri : e.getValue()) {
                b.append("<td><img alt=\"").append(Html.escape(e.getKey())).append("\" src=\"").append(uri).append("\"></td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table></figure>\n");
    }

    // ------------------------------------------------------------------ losses

    private static void losses(StringBuilder b, ExperimentResult r) {
        b.append("<section id=\"losses\"><h2>Training loss</h2>\n");
        if (r.losses().isEmpty()) {
            b.append("<p class=\"na\">No loss curves in this result.</p>\n</section>\n");
            return;
        }
        Map<String, List<LossPlot.Series>> byDataset = new LinkedHashMap<>();
        for (var c : r.losses()) {
            byDataset.computeIfAbsent(c.dataset(), k -> new ArrayList<>())
                    .add(new LossPlot.Series(PaperNumbers.modelLabel(c.model()), c.steps(), c.loss()));
        }
        b.append("<div class=\"plots\">\n");
        for (var e : byDataset.entrySet()) {
            b.append(LossPlot.svg("training data: " + e.getKey(), e.getValue(), 520, 300)).append("\n");
        }
        b.append("</div>\n<p class=\"caption\">Each model's own training objective: MAESIL the MSE on masked patches; AE the MSE; "
                + "VAE MSE plus weighted KL; VQ-VAE MSE plus commitment. The curves are not comparable across models in absolute value.</p>\n</section>\n");
    }

    // ------------------------------------------------------------------ protocol and provenance

    private static void protocol(StringBuilder b, ExperimentResult r) {
        var p = r.protocol();
        b.append("<section id=\"protocol\"><h2>Protocol</h2>\n<table class=\"kv\">\n");
        kv(b, "intensities", String.format(Locale.ROOT, "HU clipped to the window [%s, %s] and scaled to [0, 1]", num(p.windowLo()), num(p.windowHi())));
        kv(b, "MAESIL masking", String.format(Locale.ROOT, "plane-wise ratio %.2f, axis-wise ratio %.2f: %.1f%% of tokens masked in total",
                p.planeRatio(), p.axisRatio(), 100 * p.totalMaskRatio()));
        kv(b, "superpatch / patch", p.superpatch() + "&sup3; / " + p.patch() + "&sup3; voxels", true);
        kv(b, "preset", p.preset());
        kv(b, "training budget", p.budget());
        kv(b, "evaluation", "MAESIL with masking on (evaluation seed " + p.evalSeed() + "); the scored reconstruction is the composite of "
                + "visible input patches and predicted masked patches, the masked-only score beside it. Baselines reconstruct the full input.");
        kv(b, "PSNR", "10 log10(1 / MSE) on [0, 1]");
        kv(b, "SSIM", String.format(Locale.ROOT, "Gaussian window sigma %.1f, %d taps, K1 %.2f, K2 %.2f, data range 1, population covariance, "
                + "border of %d voxels excluded (as scikit-image); 3D, and 2D as the mean over axial slices", Ssim.SIGMA, Ssim.WINDOW, Ssim.K1, Ssim.K2, Ssim.RADIUS));
        kv(b, "LPIPS", "AlexNet, v0.1 linear heads, on every 2D slice along the three axes, grey replicated to 3 channels, [0, 1] mapped to [-1, 1]; "
                + "mean over slices, then over the axes. Pretrained weights are supplied by the user; without them LPIPS is not computed.");
        kv(b, "aggregation", "per superpatch, then mean per volume, then mean per dataset over volumes, with a 95% percentile bootstrap interval ("
                + Bootstrap.RESAMPLES + " resamples over volumes, fixed seed); Table II pools the volumes of every dataset.");
        for (String x : p.extra()) kv(b, "", x);
        b.append("</table>\n</section>\n");
    }

    private static void provenance(StringBuilder b, ExperimentResult r) {
        var p = r.provenance();
        b.append("<section id=\"provenance\"><h2>Provenance</h2>\n<table class=\"kv\">\n");
        kv(b, "git commit", p.gitCommit());
        kv(b, "JDK", p.jdk());
        kv(b, "operating system", p.os());
        kv(b, "backend / device", p.backend());
        kv(b, "threads", String.valueOf(p.threads()));
        kv(b, "seeds", p.seeds().toString());
        kv(b, "presets", String.join(", ", p.presets()));
        kv(b, "LPIPS weights", p.lpipsWeights() == null ? "none (LPIPS not computed)" : p.lpipsWeights());
        kv(b, "date", p.date());
        for (var e : p.extra().entrySet()) kv(b, e.getKey(), e.getValue());
        b.append("</table>\n");
        if (!p.runs().isEmpty()) {
            b.append("<h3>Runs</h3>\n<table class=\"scores\"><thead><tr><th>model</th><th>dataset</th><th>preset</th><th>seed</th>")
                    .append("<th>steps</th><th>wall time</th><th>stored in</th></tr></thead><tbody>\n");
            double total = 0;
            for (var run : p.runs()) {
                total += run.wallSeconds();
                b.append("<tr><td>").append(Html.escape(PaperNumbers.modelLabel(run.model()))).append("</td><td>").append(Html.escape(run.dataset()))
                        .append("</td><td>").append(Html.escape(run.preset())).append("</td><td>").append(run.seed())
                        .append("</td><td>").append(run.steps()).append("</td><td>").append(duration(run.wallSeconds()))
                        .append("</td><td><code>").append(Html.escape(run.location())).append("</code></td></tr>\n");
            }
            b.append("</tbody><tfoot><tr><th colspan=\"5\">total</th><td>").append(duration(total)).append("</td><td></td></tr></tfoot></table>\n");
        }
        b.append("</section>\n");
    }

    private static void kv(StringBuilder b, String k, String v) {
        kv(b, k, Html.escape(v), true);
    }

    private static void kv(StringBuilder b, String k, String htmlValue, boolean raw) {
        b.append("<tr><th>").append(Html.escape(k)).append("</th><td>").append(htmlValue).append("</td></tr>\n");
    }

    static String duration(double s) {
        if (s < 60) return String.format(Locale.ROOT, "%.1f s", s);
        long t = Math.round(s);
        if (t < 3600) return String.format(Locale.ROOT, "%d min %02d s", t / 60, t % 60);
        return String.format(Locale.ROOT, "%d h %02d min", t / 3600, (t % 3600) / 60);
    }

    private static String num(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    // ------------------------------------------------------------------ helpers

    private static List<String> models(ExperimentResult r) {
        Set<String> present = new LinkedHashSet<>();
        for (Scores s : r.scores()) present.add(s.model());
        List<String> out = new ArrayList<>();
        for (String m : MODEL_ORDER) if (present.remove(m)) out.add(m);
        out.addAll(present);
        return out;
    }

    private static List<String> datasets(ExperimentResult r) {
        Set<String> d = new LinkedHashSet<>();
        for (Scores s : r.scores()) if (!s.dataset().equals(ExperimentResult.ALL_DATASETS)) d.add(s.dataset());
        return new ArrayList<>(d);
    }

    private static Scores find(ExperimentResult r, String model, String dataset) {
        for (Scores s : r.scores()) if (s.model().equals(model) && s.dataset().equals(dataset)) return s;
        return null;
    }

    static final String CSS = """
            :root { --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --measured: #0b5cad; --paper: #8a4b08; --bg: #ffffff; --band: #f4f6fa; }
            * { box-sizing: border-box; }
            body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
            main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; }
            h1 { font-size: 26px; margin: 0 0 4px; }
            h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
            h3 { font-size: 16px; margin: 20px 0 8px; }
            .subtitle { color: var(--muted); margin: 0 0 12px; }
            nav { margin: 14px 0 4px; font-size: 14px; }
            nav a { color: var(--measured); margin-right: 14px; text-decoration: none; }
            .legend-note, .note, .caption { color: var(--muted); font-size: 13.5px; margin: 6px 0; }
            .note { border-left: 3px solid var(--line); padding-left: 8px; }
            .tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; color: #fff; }
            .tag.measured { background: var(--measured); } .tag.paper { background: var(--paper); }
            table { border-collapse: collapse; }
            table.scores { margin: 8px 0; font-variant-numeric: tabular-nums; }
            table.scores th, table.scores td { border: 1px solid var(--line); padding: 5px 10px; text-align: right; white-space: nowrap; }
            table.scores thead th { background: var(--band); text-align: center; font-weight: 600; }
            table.scores tbody th { text-align: left; }
            table.scores td:first-child, table.scores td.text { text-align: left; }
            table.scores td.paper.text { text-align: left; }
            th.measured, td.measured { color: var(--measured); }
            th.paper, td.paper { color: var(--paper); background: #fdf8f2; }
            .ci { color: var(--muted); font-size: 12.5px; }
            .na { color: var(--muted); font-style: italic; }
            table.kv th { text-align: left; vertical-align: top; padding: 4px 18px 4px 0; white-space: nowrap; color: var(--muted); font-weight: 600; }
            table.kv td { padding: 4px 0; }
            .figures { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
            figure.panel { margin: 0; padding: 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--band); }
            figure.panel figcaption { font-weight: 600; margin-bottom: 6px; }
            table.views th { font-size: 12.5px; color: var(--muted); font-weight: 600; padding: 2px 4px; }
            table.views th.rowlabel { text-align: right; padding-right: 8px; }
            table.views td { padding: 2px; }
            table.views img { width: 124px; height: auto; display: block; image-rendering: pixelated; background: #000; }
            .plots { display: flex; flex-wrap: wrap; gap: 18px; }
            svg.plot { background: #fff; border: 1px solid var(--line); border-radius: 6px; font-size: 11px; }
            svg.plot .plot-title { font-size: 13px; font-weight: 600; fill: var(--ink); }
            svg.plot .plot-frame { fill: none; stroke: #9aa3b2; }
            svg.plot .grid-major { stroke: #d5dae3; } svg.plot .grid-minor { stroke: #eef0f4; }
            svg.plot .tick-y { text-anchor: end; fill: var(--muted); } svg.plot .tick-x { text-anchor: middle; fill: var(--muted); }
            svg.plot .axis-label { text-anchor: middle; fill: var(--muted); } svg.plot .legend { fill: var(--ink); }
            code { font-size: 12.5px; }
            """;
}
