package org.maesil.harness.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Times one piece of work: warm-up runs (a row's count, and at least a second of them), a wait
 * for the JIT to go quiet, then timed runs;
 * reports the median and the minimum, and the peak Java heap while the timed runs ran.
 *
 * <p>Memory, three ways: the live heap after the timed runs and a full collection, while the
 * row's data is still referenced (its working set: inputs, outputs, kept buffers); the sum of
 * the heap pools' peaks during the row (pools are reset before it; an upper bound that also
 * counts garbage not yet collected, so it mostly reflects the young generation's size); and the
 * process's resident-set high-water mark so far (VmHWM, the figure comparable to PyTorch's peak).
 *
 * <p>Background load ("bg%", as torch_anchor.py): CPU time used by other processes during the
 * timed runs (from /proc/stat, minus this process's own CPU time, plus steal), as a percentage
 * of all cores. A large value means neighbours contaminated the figure; the minimum is then
 * the better estimate.
 */
public final class Measurement {
    private Measurement() {}

    /** The result of timing one row. */
    public record Timing(double medianMs, double minMs, int reps, long liveHeapBytes, long peakHeapBytes,
                         long rssPeakBytes, double backgroundPercent) {}

    /** The work of one benchmark repetition. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }

    /**
     * Waits (at most 10 s) until the JIT has finished no compilation in two windows of 200 ms
     * in a row (its counter moves when a compilation ends) and, where Linux shows the compiler
     * threads (/proc/self/task, named "C1/C2 CompilerThre"), they used under 10 ms of CPU in
     * each window: a long C2 compilation still running ends no compilation for seconds. On 2
     * cores a compilation left running from the warm-up takes a core from the timed runs:
     * measured, the first rows after warm-up (matmul 1024) ran 10-25% slower in a full run than
     * alone; with -XX:UseAVX=2, sgemm 1024^3 right after the JIT warm-up ran at 2x its time in
     * about 1 JVM of 5 (min 17 ms instead of 12) while the counter alone said quiet.
     */
    private static void waitForJitQuiet() throws InterruptedException {
        var jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
        long last = jit.getTotalCompilationTime(), deadline = System.nanoTime() + 10_000_000_000L;
        long lastCpu = compilerThreadsCpuNanos();
        int quiet = 0;
        while (quiet < 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            long now = jit.getTotalCompilationTime(), cpu = compilerThreadsCpuNanos();
            boolean compiling = lastCpu >= 0 && cpu >= 0 && cpu - lastCpu > NANOS_PER_TICK;
            quiet = now == last && !compiling ? quiet + 1 : 0;
            last = now;
            lastCpu = cpu;
        }
    }

    /** /proc counts CPU time in ticks of 1 / USER_HZ seconds; USER_HZ is 100 on Linux. */
    static final long NANOS_PER_TICK = 10_000_000L;

    /** CPU time (ns) of the JIT's compiler threads so far, from /proc; -1 where it cannot be read. */
    static long compilerThreadsCpuNanos() {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            long ticks = 0;
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String name;
                String stat;
                try {
                    name = Files.readString(task.resolve("comm")).trim();
                    if (!name.contains("CompilerThre")) continue;
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) { // the thread ended
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            }
            return ticks * NANOS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Shortest warm-up: the JIT keeps replacing code for a while after the first runs. Measured
     * run by run after 3 warm-ups: the conv stack took 30-40 ms for its first 5 runs, 26-31 ms
     * around the 15th and 20 ms from the 20th on; matmul 1024^3 9-15 ms for its first 10, then 7.
     */
    static final long MIN_WARMUP_NANOS = 1_000_000_000L;

    /** Times `reps` runs of the work after at least `warmup` runs and at least {@link #MIN_WARMUP_NANOS} of them. */
    public static Timing time(Work work, int warmup, int reps) throws Exception {
        System.gc();
        resetPeaks();
        long warmStart = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - warmStart < MIN_WARMUP_NANOS; i++) work.run();
        waitForJitQuiet();
        double[] ms = new double[reps];
        long[] stat0 = procStat();
        long own0 = processCpuNanos();
        long wall0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        long wallNs = System.nanoTime() - wall0;
        long[] stat1 = procStat();
        long ownNs = processCpuNanos() - own0;
        double bg = -1;
        if (stat0 != null && stat1 != null && ownNs >= 0) {
            double foreign = Math.max(0, (stat1[0] - stat0[0]) * NANOS_PER_TICK - ownNs) + (stat1[1] - stat0[1]) * NANOS_PER_TICK;
            bg = 100.0 * foreign / ((double) wallNs * Runtime.getRuntime().availableProcessors());
        }
        long peak = peakHeap();
        System.gc();
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        Arrays.sort(ms);
        double median = reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
        return new Timing(median, ms[0], reps, live, peak, rssPeak(), bg);
    }

    static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.isValid()) p.resetPeakUsage();
        }
    }

    static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.isValid()) sum += p.getPeakUsage().getUsed();
        }
        return sum;
    }

    /** VmHWM of this process in bytes, or -1 where /proc is missing. */
    static long rssPeak() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** {busy, steal} jiffies of all cores from /proc/stat, or null where there is none. */
    static long[] procStat() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                    + Long.parseLong(f[6]) + Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            return new long[] {busy, steal};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime();
        return -1;
    }
}
