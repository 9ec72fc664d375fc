package org.maesil.tornado;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.maesil.tensor.DeviceInfo;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * The one place that starts TornadoVM's runtime. Before the runtime reads its options (once,
 * when its classes load) it sets two of them, unless the user set them on the command line:
 * <ul>
 *   <li>{@code tornado.recover.bailout=False}: a kernel TornadoVM cannot compile is an error,
 *       never a silent run of the Java code on the host;</li>
 *   <li>{@code tornado.print.kernel.dir=<temp file>}: the device code that plans compiled
 *       with {@code withPrintKernel()} is appended there (not to stdout), so that
 *       {@code maesil portability} can show it beside the Java source.</li>
 * </ul>
 */
final class TornadoRuntimeAccess {
    private TornadoRuntimeAccess() {}

    private static final File CODE_FILE;
    private static long codeOffset;

    static {
        if (System.getProperty("tornado.recover.bailout") == null) {
            System.setProperty("tornado.recover.bailout", "False");
        }
        File f = null;
        String printDir = System.getProperty("tornado.print.kernel.dir");
        if (printDir != null && !printDir.isEmpty()) {
            f = new File(printDir);
        } else if (!Boolean.parseBoolean(System.getProperty("tornado.printKernel", "false"))) {
            try {
                f = File.createTempFile("maesil-tornado-kernels", ".cl");
                f.deleteOnExit();
                System.setProperty("tornado.print.kernel.dir", f.getPath());
            } catch (IOException e) {
                f = null;
            }
        }
        CODE_FILE = f;
        codeOffset = f != null && f.exists() ? f.length() : 0;
    }

    /** Whether generated code goes to a file this class can read back. */
    static boolean capturingCode() {
        return CODE_FILE != null;
    }

    /** Device code appended to the capture file since the previous call. */
    static synchronized String drainGeneratedCode() {
        if (CODE_FILE == null || !CODE_FILE.exists()) return "";
        try (RandomAccessFile in = new RandomAccessFile(CODE_FILE, "r")) {
            long end = in.length();
            if (end <= codeOffset) return "";
            byte[] bytes = new byte[(int) (end - codeOffset)];
            in.seek(codeOffset);
            in.readFully(bytes);
            codeOffset = end;
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static TornadoRuntime runtime() {
        try {
            return TornadoRuntimeProvider.getTornadoRuntime();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("TornadoVM's runtime did not start (" + describe(e)
                    + "); run with TornadoVM's JVM flags: java @$TORNADOVM_HOME/tornado-argfile ... (docs/TORNADO.md)", e);
        }
    }

    /** Every device of every TornadoVM backend, as "tornado:BACKEND:DEVICE". */
    static List<DeviceInfo> devices() {
        TornadoRuntime rt = runtime();
        List<DeviceInfo> out = new ArrayList<>();
        for (int b = 0; b < rt.getNumBackends(); b++) {
            var backend = rt.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice dev = backend.getDevice(d);
                String mem = (dev.getMaxGlobalMemory() >> 20) + " MiB global memory";
                out.add(new DeviceInfo("tornado:" + b + ":" + d, backend.getBackendType().toString(),
                        dev.getPhysicalDevice().getDeviceName(), String.valueOf(dev.getDeviceType()),
                        dev.getPlatformName() + ", " + mem));
            }
        }
        return out;
    }

    /** The device for "" (TornadoVM's default), "D" (backend 0) or "B:D". */
    static TornadoDevice device(String spec) {
        TornadoRuntime rt = runtime();
        if (spec == null || spec.isEmpty()) return rt.getDefaultDevice();
        String[] parts = spec.split(":");
        int b, d;
        try {
            if (parts.length == 1) {
                b = 0;
                d = Integer.parseInt(parts[0]);
            } else if (parts.length == 2) {
                b = Integer.parseInt(parts[0]);
                d = Integer.parseInt(parts[1]);
            } else {
                throw new NumberFormatException(spec);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tornado device '" + spec + "' is not BACKEND:DEVICE (numbers, see `maesil devices`)");
        }
        if (b < 0 || b >= rt.getNumBackends()) {
            throw new IllegalArgumentException("tornado backend " + b + " does not exist (TornadoVM has "
                    + rt.getNumBackends() + "; see `maesil devices`)");
        }
        var backend = rt.getBackend(b);
        if (d < 0 || d >= backend.getNumDevices()) {
            throw new IllegalArgumentException("tornado device " + b + ":" + d + " does not exist (backend " + b
                    + " has " + backend.getNumDevices() + "; see `maesil devices`)");
        }
        return backend.getDevice(d);
    }

    /** One line for an exception from TornadoVM, with its causes. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 600; t = t.getCause()) {
            if (sb.length() > 0) sb.append(" <- ");
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                // TornadoVM puts whole stack traces into its messages: keep the lines before "Stacktrace:"
                String msg = t.getMessage().strip();
                int trace = msg.indexOf("Stacktrace:");
                if (trace >= 0) msg = msg.substring(0, trace).strip();
                msg = msg.replaceAll("\u001B\\[[0-9;]*m", "").replaceAll("\\s+", " ");
                sb.append(": ").append(msg.length() > 300 ? msg.substring(0, 300) + "..." : msg);
            }
            if (t.getCause() == t) break;
        }
        return sb.toString();
    }
}
