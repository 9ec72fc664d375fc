package org.maesil.metrics;

/**
 * Peak signal-to-noise ratio on intensities scaled to [0, 1] (DESIGN.md, "Evaluation protocol"):
 * PSNR = 10 log10(1 / MSE), the data range being 1.
 *
 * <p>Identical inputs have MSE 0 and PSNR {@code +Infinity}; that is returned as is (never a
 * capped "large" number), and callers that print JSON say so in words, since JSON has no infinity.
 */
public final class Psnr {
    private Psnr() {}

    /** Mean squared error of two equally long arrays, accumulated in double. */
    public static double mse(float[] reference, float[] reconstruction) {
        checkSameLength(reference, reconstruction);
        double sum = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = (double) reference[i] - reconstruction[i];
            sum += d * d;
        }
        return sum / reference.length;
    }

    /** PSNR in dB for data range 1: 10 log10(1 / MSE); +Infinity when the inputs are identical. */
    public static double psnr(float[] reference, float[] reconstruction) {
        return psnrFromMse(mse(reference, reconstruction));
    }

    /** 10 log10(1 / mse), +Infinity for mse 0. */
    public static double psnrFromMse(double mse) {
        if (mse == 0) return Double.POSITIVE_INFINITY;
        return 10.0 * Math.log10(1.0 / mse);
    }

    static void checkSameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("arrays differ in length: " + a.length + " vs " + b.length);
        }
        if (a.length == 0) throw new IllegalArgumentException("empty arrays");
    }
}
