package org.maesil.harness;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.harness.bench.BenchRows;
import org.maesil.harness.bench.Measurement;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: kernel and training-step throughput on one backend, the rows of
 * ../shared/bench/torch_anchor.py (see {@link BenchRows} for the work and FLOP formulas).
 * Each row: median and minimum milliseconds over the timed repetitions after warm-up,
 * GFLOP/s at the median, peak heap, and the CPU share of other processes meanwhile.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Times matmul, convolution, attention and MAE training steps on a backend.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--backend", defaultValue = "java", description = "backend name (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", description = "threads of the Java backend (default: all cores)")
    Integer threads;

    @Option(names = "--quick", description = "3 repetitions instead of 7 (as torch_anchor.py --quick)")
    boolean quick;

    @Option(names = "--skip-big", description = "skip attention L=4096 and the paper-size MAE step")
    boolean skipBig;

    @Option(names = "--only", split = ",", paramLabel = "ROW",
            description = "run only these rows: matmul512, matmul1024, matmul2048, patch-embed, conv-stack, "
                    + "attn1024, attn4096, mae-small, mae-big, demo-maesil, demo-ae, demo-vae, demo-vqvae")
    List<String> only;

    @Override
    public Integer call() throws Exception {
        int t = threads == null ? Backends.defaultThreads() : threads;
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        List<BenchRows.Row> rows = BenchRows.all(quick ? 3 : 7, !skipBig || only != null);
        if (only != null) {
            List<String> ids = rows.stream().map(BenchRows.Row::id).toList();
            for (String o : only) {
                if (!ids.contains(o)) throw new IllegalArgumentException("--only: unknown row '" + o + "' (rows: " + String.join(", ", ids) + ")");
            }
            rows = rows.stream().filter(r -> only.contains(r.id())).toList();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> results = new ArrayList<>();
        try (Backend be = Backends.create(backend, t)) {
            out.put("backend", be.name());
            out.put("threads", t);
            out.put("date", Instant.now().toString());
            out.put("machine", machine());
            out.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            out.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
            out.put("flop_formulas", Map.of(
                    "matmul", "2 n^3",
                    "conv", "2 * MACs per pass (MACs = output elements * cin * k^3); fwd+bwd = fwd + each gradient computed",
                    "attention", "fwd 4 B H L^2 d; fwd+bwd 3x fwd",
                    "mae", "torch_anchor.py mae_flops: 3 x forward matmul FLOPs (no class token)"));
            if (!json) {
                System.out.printf("bench on %s, %s, %s%n", be.name(), out.get("machine"), out.get("jvm"));
                System.out.printf("%-12s %-52s %10s %10s %9s %9s %9s %5s %5s%n",
                        "id", "work", "median ms", "min ms", "GFLOP/s", "live MiB", "RSS MiB", "reps", "bg%");
            }
            if (json) System.err.println("bench: warming up the JIT ...");
            BenchRows.warmUpJit(be);
            for (BenchRows.Row row : rows) {
                if (json) System.err.println("bench: " + row.id() + " ...");
                Measurement.Timing tm;
                try {
                    Measurement.Work work = row.setup().prepare(be);
                    tm = Measurement.time(work, row.warmup(), row.reps());
                } catch (OutOfMemoryError e) {
                    throw new IllegalStateException("row " + row.id() + " ran out of Java heap (max "
                            + (Runtime.getRuntime().maxMemory() >> 20) + " MiB): rerun with a larger heap, "
                            + "e.g. java -Xmx16g -jar maesil.jar bench ...");
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", row.id());
                r.put("work", row.name());
                r.put("median_ms", round(tm.medianMs()));
                r.put("min_ms", round(tm.minMs()));
                if (row.gflop() > 0) { // rows without a FLOP count (the demo's steps) leave these out
                    r.put("gflop", round(row.gflop()));
                    r.put("gflops_median", round(row.gflop() / (tm.medianMs() / 1e3)));
                    r.put("gflops_best", round(row.gflop() / (tm.minMs() / 1e3)));
                }
                r.put("live_heap_mib", round(tm.liveHeapBytes() / 1048576.0));
                r.put("peak_heap_upper_bound_mib", round(tm.peakHeapBytes() / 1048576.0));
                r.put("rss_peak_so_far_mib", round(tm.rssPeakBytes() / 1048576.0));
                r.put("reps", tm.reps());
                r.put("warmup", row.warmup());
                r.put("background_percent", round(tm.backgroundPercent()));
                if (!row.note().isEmpty()) r.put("note", row.note());
                results.add(r);
                if (!json) {
                    System.out.printf("%-12s %-52s %10.2f %10.2f %9s %9.0f %9.0f %5d %5.0f%n", row.id(), row.name(),
                            tm.medianMs(), tm.minMs(),
                            row.gflop() > 0 ? String.format("%.1f", row.gflop() / (tm.medianMs() / 1e3)) : "-",
                            tm.liveHeapBytes() / 1048576.0, tm.rssPeakBytes() / 1048576.0, tm.reps(), tm.backgroundPercent());
                }
            }
        }
        out.put("rows", results);
        if (json) {
            System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
        } else {
            System.out.println("live MiB: heap still used after the row and a full GC (its working set); "
                    + "RSS MiB: the process's resident-set peak so far (VmHWM); "
                    + "bg%: CPU share of other processes during the timed runs (high = noisy figure).");
        }
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static String machine() {
        String cpu = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (Exception e) {
            // keep os.arch
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
