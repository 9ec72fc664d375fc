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
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
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
