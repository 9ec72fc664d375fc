package org.maesil.layers.init;

import java.util.SplittableRandom;
import org.maesil.tensor.Tensor;

/**
 * Weight initialisers, all drawing from a caller-supplied seeded {@link SplittableRandom} in
 * element order, so that a seed fixes every weight. The formulas are PyTorch's / timm's; the
 * random streams are Java's (the same seed does not give PyTorch's numbers: parity tests load
 * shared weights instead).
 */
public final class Init {
    private Init() {}

    /** Every element = 0. */
    public static void zeros(Tensor t) { t.fill(0f); }

    /** Every element = 1. */
    public static void ones(Tensor t) { t.fill(1f); }

    /** Uniform in [-bound, bound). */
    public static void uniform(Tensor t, double bound, SplittableRandom rng) {
        float[] d = t.data;
        for (int i = 0; i < d.length; i++) d[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
    }

    /** Normal(mean, std^2), no truncation. */
    public static void normal(Tensor t, double mean, double std, SplittableRandom rng) {
        float[] d = t.data;
        for (int i = 0; i < d.length; i++) d[i] = (float) (mean + std * rng.nextGaussian());
    }

    /**
     * Xavier/Glorot uniform with explicit fans: U(-a, a), a = sqrt(6 / (fanIn + fanOut)).
     * MAE initialises its patch-embedding convolution this way on the weight viewed as
     * [out, in * k^3] (fanIn = in * k^3, fanOut = out).
     */
    public static void xavierUniform(Tensor t, int fanIn, int fanOut, SplittableRandom rng) {
        if (fanIn + fanOut <= 0) throw new IllegalArgumentException("xavierUniform: fanIn + fanOut must be > 0");
        uniform(t, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
    }

    /**
     * Xavier/Glorot uniform with the fans torch.nn.init.xavier_uniform_ computes from the shape:
     * fanIn = shape[1] * receptive field, fanOut = shape[0] * receptive field, where the
     * receptive field is the product of shape[2:] (1 for a matrix). Needs rank >= 2.
     */
    public static void xavierUniform(Tensor t, SplittableRandom rng) {
        if (t.rank() < 2) throw new IllegalArgumentException("xavierUniform needs a tensor of rank >= 2, got " + t);
        int receptive = 1;
        for (int a = 2; a < t.rank(); a++) receptive *= t.dim(a);
        xavierUniform(t, t.dim(1) * receptive, t.dim(0) * receptive, rng);
    }

    /**
     * Truncated normal as timm's {@code trunc_normal_(t, mean, std, a, b)}: Normal(mean, std^2)
     * restricted to [a, b], where a and b are absolute values (not multiples of std), drawn by
     * rejection. timm's defaults are a = -2, b = 2.
     */
    public static void truncNormal(Tensor t, double mean, double std, double a, double b, SplittableRandom rng) {
        if (!(a < b)) throw new IllegalArgumentException("truncNormal: need a < b, got a=" + a + ", b=" + b);
        if (mean + 6 * std < a || mean - 6 * std > b) {
            throw new IllegalArgumentException("truncNormal: [a, b] is more than 6 std away from the mean");
        }
        float[] d = t.data;
        for (int i = 0; i < d.length; i++) {
            double x;
            do {
                x = mean + std * rng.nextGaussian();
            } while (x < a || x > b);
            d[i] = (float) x;
        }
    }

    /** timm's ViT default: truncated normal, mean 0, std 0.02, cut at [-2, 2] (absolute). */
    public static void truncNormal02(Tensor t, SplittableRandom rng) {
        truncNormal(t, 0.0, 0.02, -2.0, 2.0, rng);
    }
}
