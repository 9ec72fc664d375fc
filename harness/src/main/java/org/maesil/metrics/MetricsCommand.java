package org.maesil.metrics;

import com.google.gson.GsonBuilder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.data.NiftiReader;
import org.maesil.data.Preprocess;
import org.maesil.data.Volume;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code metrics}: PSNR, SSIM (3D and 2D slice-wise) and LPIPS (when weights are given)
 * between two NIfTI volumes of the same shape. Both are windowed (HU clipped to [LO, HI] and
 * scaled to [0, 1]) unless {@code --no-window} says they already are on [0, 1].
 */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        description = "PSNR, SSIM (3D and 2D) and LPIPS between two NIfTI volumes.")
public final class MetricsCommand implements Callable<Integer> {

    @Option(names = "--reference", required = true, paramLabel = "FILE", description = "the original volume (NIfTI)")
    Path reference;

    @Option(names = "--reconstruction", required = true, paramLabel = "FILE", description = "the reconstructed volume (NIfTI)")
    Path reconstruction;

    @Option(names = "--window", paramLabel = "LO,HI", split = ",",
            description = "HU window mapped to [0, 1] (default: -175,250)")
    double[] window;

    @Option(names = "--no-window", description = "the volumes are already on [0, 1]: do not window them")
    boolean noWindow;

    @Option(names = "--lpips-weights", paramLabel = "FILE",
            description = "LPIPS AlexNet weights (tools/export_lpips_weights.py); default: $" + LpipsWeights.ENV)
    Path lpipsWeights;

    @Option(names = "--lpips-slice-step", defaultValue = "1", paramLabel = "N",
            description = "score every N-th slice for LPIPS (default: ${DEFAULT-VALUE}, all)")
    int lpipsSliceStep;

    @Option(names = "--backend", defaultValue = "java", description = "backend for LPIPS (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", description = "threads of the Java backend (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object instead of prose")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (window != null && noWindow) throw new IllegalArgumentException("give --window or --no-window, not both");
        if (window != null && window.length != 2) throw new IllegalArgumentException("--window needs LO,HI, got " + window.length + " values");
        double lo = window == null ? Preprocess.DEFAULT_WINDOW_LO : window[0];
        double hi = window == null ? Preprocess.DEFAULT_WINDOW_HI : window[1];
        if (!noWindow && !(hi > lo)) throw new IllegalArgumentException("--window " + lo + "," + hi + ": LO must be below HI");
        if (lpipsSliceStep < 1) throw new IllegalArgumentException("--lpips-slice-step must be >= 1");

        Volume ref = NiftiReader.read(reference);
        Volume rec = NiftiReader.read(reconstruction);
        if (ref.nx != rec.nx || ref.ny != rec.ny || ref.nz != rec.nz) {
            throw new IllegalArgumentException("volumes differ in shape: reference " + reference + " is "
                    + dims(ref) + ", reconstruction " + reconstruction + " is " + dims(rec));
        }
        float[] a = ref.voxels.clone(), b = rec.voxels.clone();
        if (!noWindow) {
            Preprocess.windowInPlace(a, lo, hi);
            Preprocess.windowInPlace(b, lo, hi);
        }
        var weightsFile = LpipsWeights.locate(lpipsWeights);
        long t0 = System.nanoTime();
        VolumeScores s;
        String backendName = null;
        if (weightsFile.isPresent()) {
            try (Backend be = Backends.create(backend, threads == null ? Backends.defaultThreads() : threads)) {
                backendName = be.name();
                Lpips lpips = Lpips.loadVerified(weightsFile.get(), be);
                s = VolumeScores.score(a, b, ref.nx, ref.ny, ref.nz, lpips, lpipsSliceStep);
            }
        } else {
            s = VolumeScores.score(a, b, ref.nx, ref.ny, ref.nz, null, 1);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("reference", reference.toString());
            o.put("reconstruction", reconstruction.toString());
            o.put("dims", new int[] {ref.nx, ref.ny, ref.nz});
            o.put("window", noWindow ? null : new double[] {lo, hi});
            boolean inf = Double.isInfinite(s.psnr());
            o.put("psnr", inf ? null : s.psnr());
            if (inf) o.put("psnr_note", "identical volumes: PSNR is +Infinity");
            o.put("ssim3d", s.ssim3d());
            o.put("ssim2d", s.ssim2d());
            o.put("lpips", s.lpips());
            if (s.lpips() != null) {
                o.put("lpips_axial", s.lpipsAxial());
                o.put("lpips_coronal", s.lpipsCoronal());
                o.put("lpips_sagittal", s.lpipsSagittal());
                o.put("lpips_weights", weightsFile.get().toString());
                o.put("lpips_slice_step", lpipsSliceStep);
                o.put("backend", backendName);
            } else {
                o.put("lpips_note", s.lpipsNote());
            }
            o.put("seconds", seconds);
            System.out.println(new GsonBuilder().serializeNulls().create().toJson(o));
        } else {
            System.out.printf("reference       %s (%s)%n", reference, dims(ref));
            System.out.printf("reconstruction  %s%n", reconstruction);
            System.out.printf("intensities     %s%n", noWindow ? "taken as they are (already on [0, 1])"
                    : "HU window [" + fmt(lo) + ", " + fmt(hi) + "] scaled to [0, 1]");
            System.out.printf("PSNR            %s%n", Double.isInfinite(s.psnr()) ? "+Infinity dB (identical volumes)"
                    : String.format("%.4f dB", s.psnr()));
            System.out.printf("SSIM 3D         %.6f%n", s.ssim3d());
            System.out.printf("SSIM 2D         %.6f (mean over %d axial slices)%n", s.ssim2d(), ref.nz);
            if (s.lpips() != null) {
                System.out.printf("LPIPS           %.6f (axial %.6f, coronal %.6f, sagittal %.6f; AlexNet v0.1, %s)%n",
                        s.lpips(), s.lpipsAxial(), s.lpipsCoronal(), s.lpipsSagittal(), backendName);
            } else {
                System.out.printf("LPIPS           %s%n", s.lpipsNote());
            }
        }
        return 0;
    }

    private static String dims(Volume v) {
        return v.nx + "x" + v.ny + "x" + v.nz;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
