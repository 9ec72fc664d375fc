package org.maesil.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * The weights of LPIPS v0.1 with the AlexNet trunk, read from a safetensors file that
 * tools/export_lpips_weights.py writes from the official {@code lpips} package and torchvision's
 * pretrained AlexNet. They cannot be shipped with the project: the user names the file with
 * {@code --lpips-weights FILE} or the environment variable {@value #ENV}.
 *
 * <p>Tensor names (torchvision's AlexNet "features" indices, and the five linear heads):
 * <pre>
 *   features.{0,3,6,8,10}.weight [c_k, c_{k-1}, K_k, K_k], features.{0,3,6,8,10}.bias [c_k]
 *   lin{0..4}.weight [1, c_k, 1, 1]
 * </pre>
 * with c_{-1} = 3, kernels K = 11, 5, 3, 3, 3. The channel widths c_k are read from the file; the
 * pretrained network has 64, 192, 384, 256, 256, which {@link #load(Path, boolean)} demands when
 * asked (always, for real measurements: the test fixtures use narrower random networks).
 */
public final class LpipsWeights {
    /** Environment variable naming the weights file. */
    public static final String ENV = "MAESIL_LPIPS_WEIGHTS";
    /** The message every output shows in place of a number when no weights are given. */
    public static final String NOT_COMPUTED = "LPIPS not computed (no weights: see README)";

    /** Index of each convolution in torchvision's alexnet().features. */
    public static final int[] FEATURE_INDEX = {0, 3, 6, 8, 10};
    public static final int[] KERNEL = {11, 5, 3, 3, 3};
    public static final int[] STRIDE = {4, 1, 1, 1, 1};
    public static final int[] PAD = {2, 2, 1, 1, 1};
    /** Channel widths of the pretrained AlexNet. */
    public static final int[] ALEXNET_WIDTHS = {64, 192, 384, 256, 256};
    public static final int LAYERS = 5;

    private final Path source;
    private final int[] widths;
    private final float[][] convWeight;
    private final float[][] convBias;
    private final float[][] linWeight;
    private final Map<String, String> metadata;

    private LpipsWeights(Path source, int[] widths, float[][] convWeight, float[][] convBias, float[][] linWeight,
                         Map<String, String> metadata) {
        this.source = source;
        this.widths = widths;
        this.convWeight = convWeight;
        this.convBias = convBias;
        this.linWeight = linWeight;
        this.metadata = metadata;
    }

    /** The file named by the option, else by {@value #ENV}; empty when neither is set. */
    public static Optional<Path> locate(Path option) {
        if (option != null) return Optional.of(option);
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return Optional.of(Path.of(env));
        return Optional.empty();
    }

    /**
     * Reads and verifies a weights file: every expected tensor present with the right shape, no
     * other tensor, channel widths consistent from layer to layer (and equal to AlexNet's when
     * {@code requireAlexNetWidths}). Any problem is one IOException naming the file and tensor.
     */
    public static LpipsWeights load(Path file, boolean requireAlexNetWidths) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("LPIPS weights file " + file + " does not exist");
        Map<String, Tensor> t;
        try {
            t = SafeTensors.read(file);
        } catch (RuntimeException e) {
            throw new IOException("LPIPS weights file " + file + ": not a readable safetensors file (" + e.getMessage() + ")");
        }
        Set<String> unexpected = new LinkedHashSet<>(t.keySet());
        int[] widths = new int[LAYERS];
        float[][] w = new float[LAYERS][], b = new float[LAYERS][], lin = new float[LAYERS][];
        int cin = 3;
        for (int k = 0; k < LAYERS; k++) {
            String wName = "features." + FEATURE_INDEX[k] + ".weight";
            Tensor wt = require(file, t, wName);
            if (wt.rank() != 4 && !requireAlexNetWidths) {
                throw new IOException("LPIPS weights file " + file + ": tensor '" + wName + "' has shape "
                        + Arrays.toString(wt.shape()) + ", expected [c_out, " + cin + ", " + KERNEL[k] + ", " + KERNEL[k] + "]");
            }
            int cout = requireAlexNetWidths ? ALEXNET_WIDTHS[k] : wt.dim(0);
            checkShape(file, wName, wt, cout, cin, KERNEL[k], KERNEL[k]);
            String bName = "features." + FEATURE_INDEX[k] + ".bias";
            Tensor bt = require(file, t, bName);
            checkShape(file, bName, bt, cout);
            String lName = "lin" + k + ".weight";
            Tensor lt = require(file, t, lName);
            checkShape(file, lName, lt, 1, cout, 1, 1);
            unexpected.removeAll(Set.of(wName, bName, lName));
            widths[k] = cout;
            w[k] = wt.data;
            b[k] = bt.data;
            lin[k] = lt.data;
            cin = cout;
        }
        if (!unexpected.isEmpty()) {
            throw new IOException("LPIPS weights file " + file + ": unexpected tensor '" + unexpected.iterator().next()
                    + "' (expected only features.{0,3,6,8,10}.weight/bias and lin0..4.weight; export it with tools/export_lpips_weights.py)");
        }
        return new LpipsWeights(file, widths, w, b, lin, SafeTensors.readMetadata(file));
    }

    private static Tensor require(Path file, Map<String, Tensor> t, String name) throws IOException {
        Tensor x = t.get(name);
        if (x == null) {
            throw new IOException("LPIPS weights file " + file + ": missing tensor '" + name
                    + "' (export it with tools/export_lpips_weights.py)");
        }
        return x;
    }

    private static void checkShape(Path file, String name, Tensor t, int... expected) throws IOException {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IOException("LPIPS weights file " + file + ": tensor '" + name + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected));
        }
    }

    public Path source() { return source; }
    /** Output channels of conv layer k. */
    public int width(int k) { return widths[k]; }
    public int[] widths() { return widths.clone(); }
    /** Input channels of conv layer k. */
    public int inChannels(int k) { return k == 0 ? 3 : widths[k - 1]; }
    /** Conv weight of layer k, [c_k, c_{k-1}, K, K] row-major. */
    public float[] convWeight(int k) { return convWeight[k]; }
    public float[] convBias(int k) { return convBias[k]; }
    /** Linear head of layer k, [c_k]. */
    public float[] linWeight(int k) { return linWeight[k]; }
    /** The file's "__metadata__" (the export script records its sources there). */
    public Map<String, String> metadata() { return metadata; }
    public boolean isAlexNet() { return Arrays.equals(widths, ALEXNET_WIDTHS); }
}
