package org.maesil.harness;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.maesil.tensor.Backend;
import org.maesil.tensor.BackendCheck;
import org.maesil.tensor.Backends;
import org.maesil.tensor.DeviceInfo;
import org.maesil.tensor.GeneratedCode;
import org.maesil.tensor.JavaBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code portability --out DIR}: every kernel, forward and backward ({@link BackendCheck}'s
 * cases), on every device that {@code maesil devices} lists, against the Java backend; writes
 * DIR/index.html (a kernel x device matrix of pass/fail, max relative error and time, then,
 * for teaching, each kernel's Java source beside the device code TornadoVM generated from it)
 * and DIR/results.json.
 */
@Command(name = "portability", mixinStandardHelpOptions = true,
        description = "Runs every kernel on every device against the Java reference and writes an HTML report.")
public final class PortabilityCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "report folder (index.html, results.json)")
    Path out;

    @Option(names = "--json", description = "print one JSON object instead of prose")
    boolean json;

    @Option(names = "--tolerance", defaultValue = "1e-5", description = "max relative error to pass (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = "--repeat", defaultValue = "3", description = "timed runs after the first (compiling) one (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--threads", description = "threads of the Java reference (default: all cores)")
    Integer threads;

    @Option(names = "--device", split = ",", paramLabel = "SPEC",
            description = "only these devices (as listed by `devices`, e.g. tornado:0:0)")
    List<String> onlyDevices;

    @Option(names = "--strict", description = "exit 1 when any kernel fails on any device")
    boolean strict;

    /** One kernel case on one device. */
    record Cell(String kase, String device, String status, double maxRelError, double firstMs, double medianMs,
                String error, String generatedCode) {}

    @Override
    public Integer call() throws IOException {
        if (repeat < 1) throw new IllegalArgumentException("--repeat must be >= 1, got " + repeat);
        if (!(tolerance > 0)) throw new IllegalArgumentException("--tolerance must be > 0, got " + tolerance);
        int t = threads == null ? Backends.defaultThreads() : threads;

        List<String> notes = new ArrayList<>();
        List<DeviceInfo> devices = new ArrayList<>();
        for (DevicesCommand.Entry e : DevicesCommand.entries()) {
            if (e.backend().equals("java")) continue;
            if (!e.note().isEmpty()) notes.add(e.backend() + ": " + e.note());
            devices.addAll(e.devices());
        }
        if (onlyDevices != null) {
            Set<String> known = new LinkedHashSet<>();
            devices.forEach(d -> known.add(d.spec()));
            for (String s : onlyDevices) {
                if (!known.contains(s)) throw new IllegalArgumentException("--device: no device '" + s + "' (found: " + known + ")");
            }
            devices.removeIf(d -> !onlyDevices.contains(d.spec()));
        }
        if (devices.isEmpty()) {
            notes.add("no accelerator devices found: the report shows the Java reference only");
            System.err.println("portability: no accelerator devices found (" + DevicesCommand.TORNADO_HINT + ")");
        }

        List<BackendCheck.Case> cases = BackendCheck.cases();
        Map<String, Map<String, float[]>> reference = new LinkedHashMap<>();
        Map<String, Double> javaMs = new LinkedHashMap<>();
        try (JavaBackend java = new JavaBackend(t)) {
            for (BackendCheck.Case c : cases) {
                BackendCheck.Instance inst = c.prepare();
                reference.put(c.name(), inst.run(java));
                javaMs.put(c.name(), medianMs(inst, java));
            }
        }

        List<Cell> cells = new ArrayList<>();
        for (DeviceInfo d : devices) {
            if (!json) System.err.println("portability: " + d.spec() + " (" + d.name() + ") ...");
            Backend backend;
            try {
                backend = Backends.create(d.spec(), t);
            } catch (RuntimeException e) {
                for (BackendCheck.Case c : cases) {
                    cells.add(new Cell(c.name(), d.spec(), "ERROR", Double.NaN, Double.NaN, Double.NaN, Main.oneLine(e), ""));
                }
                continue;
            }
            try {
                for (BackendCheck.Case c : cases) cells.add(runCell(c, d, backend, reference.get(c.name())));
            } finally {
                backend.close();
            }
        }

        String html = html(devices, cases, cells, javaMs, notes, t);
        Map<String, Object> summary = summary(devices, cells, notes);
        byte[] results = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().disableHtmlEscaping()
                .create().toJson(summary).getBytes(StandardCharsets.UTF_8);
        writeReport(out, html, results);

        long failed = cells.stream().filter(c -> !c.status().equals("PASS")).count();
        if (json) {
            System.out.println(new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create().toJson(summary));
        } else {
            for (Cell c : cells) {
                System.out.printf(Locale.ROOT, "%-28s %-14s %-5s max rel error %-9s median %8.3f ms%s%n", c.kase(), c.device(),
                        c.status(), fmtErr(c.maxRelError()), c.medianMs(), c.error().isEmpty() ? "" : "  " + c.error());
            }
            System.out.println("portability: " + (cells.size() - failed) + " of " + cells.size() + " pass on "
                    + devices.size() + " device(s); report: " + out.resolve("index.html"));
        }
        return strict && failed > 0 ? 1 : 0;
    }

    private Cell runCell(BackendCheck.Case c, DeviceInfo d, Backend backend, Map<String, float[]> ref) {
        GeneratedCode gen = backend instanceof GeneratedCode g ? g : null;
        if (gen != null) gen.drainGeneratedCode();
        BackendCheck.Instance inst = c.prepare();
        try {
            long t0 = System.nanoTime();
            Map<String, float[]> got = inst.run(backend);
            double firstMs = (System.nanoTime() - t0) / 1e6;
            String code = gen == null ? "" : gen.drainGeneratedCode();
            double err = BackendCheck.maxRelativeError(got, ref);
            double median = medianMs(inst, backend);
            String status = err <= tolerance ? "PASS" : "FAIL";
            return new Cell(c.name(), d.spec(), status, err, firstMs, median, "", code);
        } catch (RuntimeException e) {
            String code = gen == null ? "" : gen.drainGeneratedCode();
            return new Cell(c.name(), d.spec(), "ERROR", Double.NaN, Double.NaN, Double.NaN, Main.oneLine(e), code);
        }
    }

    private double medianMs(BackendCheck.Instance inst, Backend backend) {
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            inst.run(backend);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[repeat / 2];
    }

    private Map<String, Object> summary(List<DeviceInfo> devices, List<Cell> cells, List<String> notes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", out.toString());
        m.put("tolerance", tolerance);
        m.put("devices", devices);
        m.put("notes", notes);
        List<Map<String, Object>> rs = new ArrayList<>();
        for (Cell c : cells) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("case", c.kase());
            r.put("device", c.device());
            r.put("status", c.status());
            r.put("maxRelError", c.maxRelError());
            r.put("firstMs", c.firstMs());
            r.put("medianMs", c.medianMs());
            if (!c.error().isEmpty()) r.put("error", c.error());
            rs.add(r);
        }
        m.put("results", rs);
        m.put("pass", cells.stream().filter(c -> c.status().equals("PASS")).count());
        m.put("total", cells.size());
        return m;
    }

    // ================================================================ HTML

    /** Escapes text for HTML. */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Writes index.html and results.json, each to a temporary file renamed into place. */
    private static void writeReport(Path dir, String html, byte[] results) throws IOException {
        Files.createDirectories(dir);
        writeAtomically(dir.resolve("results.json"), results);
        writeAtomically(dir.resolve("index.html"), html.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String fmtErr(double e) {
        if (Double.isNaN(e)) return "-";
        if (e == 0) return "0";
        return String.format(Locale.ROOT, "%.2e", e);
    }

    private static String fmtMs(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, ms < 10 ? "%.3f" : "%.1f", ms);
    }

    /** A bundled source file (kernel-sources/... in the jars), or null. */
    static String source(String path) {
        try (InputStream in = PortabilityCommand.class.getResourceAsStream("/kernel-sources/" + path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    private static String anchor(String s) {
        return s.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(Locale.ROOT);
    }

    private String html(List<DeviceInfo> devices, List<BackendCheck.Case> cases, List<Cell> cells,
                        Map<String, Double> javaMs, List<String> notes, int threads) {
        Map<String, Cell> byKey = new LinkedHashMap<>();
        for (Cell c : cells) byKey.put(c.kase() + "\u0000" + c.device(), c);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kernel portability</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1300px}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}")
                .append(".PASS{background:#e3f6e3}.FAIL{background:#fde2e2}.ERROR{background:#fde2e2}")
                .append("pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:32em;font-size:12px}")
                .append(".side{display:flex;gap:1em}.side>div{flex:1;min-width:0}small{color:#555}\n</style></head><body>\n");
        h.append("<h1>Kernel portability: one Java source, every device</h1>\n");
        long pass = cells.stream().filter(c -> c.status().equals("PASS")).count();
        h.append("<p>Every kernel of the engine, forward and backward, run through the <code>Backend</code> interface on each device ")
                .append("and compared with the Java backend (").append(threads).append(" threads) on the same inputs. ")
                .append("<b>").append(pass).append(" of ").append(cells.size()).append("</b> kernel x device checks pass.</p>\n");
        h.append("<p><small>Max relative error = max<sub>i</sub> |device<sub>i</sub> &minus; java<sub>i</sub>| / max<sub>i</sub> |java<sub>i</sub>| ")
                .append("over every output of the case (infinity norm); pass when &le; ").append(esc(fmtErr(tolerance)))
                .append(". Time: median of ").append(repeat).append(" runs through the Backend call, host&harr;device copies included; ")
                .append("\"first\" is the first call, which includes TornadoVM's JIT compilation. Generated ")
                .append(esc(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())).append(" on ")
                .append(esc(System.getProperty("java.vm.name") + " " + System.getProperty("java.version")))
                .append(", ").append(esc(System.getProperty("os.name") + " " + System.getProperty("os.arch")))
                .append(" by <code>maesil portability</code>.</small></p>\n");
        for (String n : notes) h.append("<p><b>Note:</b> ").append(esc(n)).append("</p>\n");

        h.append("<h2>Devices</h2>\n<table><tr><th>--backend</th><th>platform</th><th>device</th><th>type</th><th>detail</th></tr>\n");
        for (DeviceInfo d : devices) {
            h.append("<tr><td><code>").append(esc(d.spec())).append("</code></td><td>").append(esc(d.platform()))
                    .append("</td><td>").append(esc(d.name())).append("</td><td>").append(esc(d.type()))
                    .append("</td><td>").append(esc(d.detail())).append("</td></tr>\n");
        }
        h.append("</table>\n");

        h.append("<h2>Kernel x device</h2>\n<table><tr><th>case</th><th>kernels</th><th>java ms</th>");
        for (DeviceInfo d : devices) h.append("<th>").append(esc(d.spec())).append("<br><small>").append(esc(d.name())).append("</small></th>");
        h.append("</tr>\n");
        for (BackendCheck.Case c : cases) {
            h.append("<tr><td>").append(esc(c.name())).append("<br><small>").append(esc(c.op())).append("</small></td><td>");
            for (String k : c.kernels()) h.append("<a href=\"#").append(anchor(k)).append("\">").append(esc(k)).append("</a> ");
            h.append("</td><td>").append(fmtMs(javaMs.get(c.name()))).append("</td>");
            for (DeviceInfo d : devices) {
                Cell cell = byKey.get(c.name() + "\u0000" + d.spec());
                h.append("<td class=\"").append(cell.status()).append("\"><b>").append(cell.status()).append("</b> ")
                        .append(fmtErr(cell.maxRelError())).append("<br><small>").append(fmtMs(cell.medianMs()))
                        .append(" ms (first ").append(fmtMs(cell.firstMs())).append(" ms)</small>");
                if (!cell.error().isEmpty()) h.append("<br><small>").append(esc(cell.error())).append("</small>");
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");

        h.append("<h2>The code: Java kernel beside the generated device code</h2>\n")
                .append("<p>Each kernel is a static Java method computing one output element (or row) from its index. The Java backend ")
                .append("runs it across CPU threads; the TornadoVM backend wraps it in a <code>@Parallel</code> loop ")
                .append("(<a href=\"#tornadotasks\">TornadoTasks</a>) and TornadoVM compiles that loop, with the kernel inlined, ")
                .append("to the device's language.</p>\n");
        Set<String> kernelFiles = new LinkedHashSet<>();
        for (BackendCheck.Case c : cases) kernelFiles.addAll(c.kernels());
        for (String k : kernelFiles) {
            h.append("<h3 id=\"").append(anchor(k)).append("\">").append(esc(k)).append(".java</h3>\n<div class=\"side\"><div>");
            String src = source("org/maesil/tensor/kernels/" + k + ".java");
            h.append("<pre>").append(esc(src == null ? "(source not bundled in this jar)" : src)).append("</pre></div><div>");
            boolean any = false;
            for (BackendCheck.Case c : cases) {
                if (!c.kernels().get(0).equals(k)) continue;
                for (DeviceInfo d : devices) {
                    Cell cell = byKey.get(c.name() + "\u0000" + d.spec());
                    if (cell.generatedCode().isBlank()) continue;
                    any = true;
                    h.append("<details><summary>").append(esc(c.name())).append(" on ").append(esc(d.spec()))
                            .append(" (").append(esc(d.platform())).append(", ")
                            .append(cell.generatedCode().length() / 1024).append(" KiB)</summary><pre>")
                            .append(esc(cell.generatedCode())).append("</pre></details>\n");
                }
            }
            if (!any) h.append("<p><small>No generated code: no TornadoVM device ran this kernel.</small></p>");
            h.append("</div></div>\n");
        }
        String tasks = source("org/maesil/tornado/TornadoTasks.java");
        h.append("<h3 id=\"tornadotasks\">TornadoTasks.java (the @Parallel loops of the TornadoVM backend)</h3>\n<pre>")
                .append(esc(tasks == null ? "(the tornado module is not on the class path)" : tasks)).append("</pre>\n");
        h.append("</body></html>\n");
        return h.toString();
    }
}
