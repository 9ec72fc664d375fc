package org.maesil.harness;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code java -jar maesil.jar} cannot ask for JVM flags, and the fast kernels need the Vector
 * API module ({@code --add-modules jdk.incubator.vector}). When that module is missing, the
 * launcher starts the same jar once more in a child JVM with the flags, and passes its exit
 * code through. Set {@code MAESIL_NO_RELAUNCH=1} to skip this (the kernels then run without
 * the Vector API fast paths only if the code allows it).
 *
 * <p>The child also gets an upper bound on the young generation ({@link #youngGenerationCap}),
 * unless the command line sets one, and {@link #JIT_FLAGS}.
 */
final class Launcher {
    private Launcher() {}

    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Returns true when a child JVM ran the command (the caller then returns). */
    static boolean relaunchIfNeeded(String[] args) {
        if (vectorModulePresent() || System.getenv("MAESIL_NO_RELAUNCH") != null
                || Boolean.getBoolean("maesil.relaunched")) {
            return false;
        }
        String jar = jarPath();
        if (jar == null) return false;
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-Dmaesil.relaunched=true");
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        cmd.addAll(youngGenerationCap(jvmArgs, Runtime.getRuntime().maxMemory()));
        cmd.addAll(JIT_FLAGS);
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(jar);
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
            System.exit(p.waitFor());
        } catch (Exception e) {
            System.err.println("warning: could not relaunch with the Vector API module (" + e.getMessage() + ")");
            return false;
        }
        return true;
    }

    /** The method that {@link #JIT_FLAGS} keeps out of its callers. */
    static final String EXP_METHOD = "org.maesil.tensor.fast.VectorExp::expInPlace";

    /**
     * Keep C2 from inlining the vector exp into its callers (the online softmax of attention,
     * GELU): inlined into those large methods, some of its vector operations were, in some
     * runs, left as calls, and their vectors boxed (the Vector API's Java fallback). MAE small
     * step, 3 runs each on JDK 17: 8-9% of samples in the fallback and 90-107 ms per step by
     * default; 0% and 60-80 ms with this flag. "quiet" first: CompileCommand otherwise prints
     * to stdout, which would spoil --json output.
     */
    static final List<String> JIT_FLAGS = List.of("-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline," + EXP_METHOD);

    /**
     * {@code -XX:MaxNewSize} of 1 GiB, or a quarter of the maximum heap when that is less; nothing
     * when the JVM arguments already size the young generation. Why: the engine's big arrays
     * (weights, optimiser state, activations, workspaces) live for the whole run and are reused
     * every step, so training needs no large young generation; but whenever C2 leaves a Vector
     * API call un-intrinsified, the kernels allocate short-lived vector boxes at GB/s and G1 grows
     * the young generation towards 60% of -Xmx, all of it resident (bench mae-big with -Xmx16g:
     * RSS peak 7.7 GiB instead of 3.6 GiB). Collecting that garbage from a small young
     * generation takes a few milliseconds per collection.
     */
    static List<String> youngGenerationCap(List<String> jvmArgs, long maxHeapBytes) {
        for (String a : jvmArgs) {
            if (a.startsWith("-Xmn") || a.contains("NewSize") || a.contains("NewRatio")) return List.of();
        }
        long mib = Math.max(1, Math.min(1024, (maxHeapBytes >> 20) / 4));
        return List.of("-XX:MaxNewSize=" + mib + "m");
    }

    private static String jarPath() {
        try {
            var src = Main.class.getProtectionDomain().getCodeSource();
            if (src == null) return null;
            File f = new File(src.getLocation().toURI());
            return f.isFile() ? f.getPath() : null;
        } catch (Exception e) {
            return null;
        }
    }
}
