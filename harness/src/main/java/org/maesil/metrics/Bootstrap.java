package org.maesil.metrics;

import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Mean with a percentile bootstrap confidence interval: resample the n values with replacement
 * {@value #RESAMPLES} times (Well19937c, fixed seed), take each resample's mean, and report the
 * 2.5th and 97.5th percentiles of those means (linear interpolation, numpy's default, R-7).
 */
public final class Bootstrap {
    private Bootstrap() {}

    public static final int RESAMPLES = 2000;
    public static final long DEFAULT_SEED = 20240611L;
    public static final double LEVEL = 0.95;

    /** A mean, its 95% interval [low, high], and the number of values behind it. */
    public record Summary(double mean, double low, double high, int n) {
        /** True when the interval is a single point (fewer than two values, or all equal). */
        public boolean degenerate() { return low == high; }
    }

    /** Plain mean in double. */
    public static double mean(double[] v) {
        if (v.length == 0) throw new IllegalArgumentException("mean of no values");
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    public static Summary summarise(double[] values) {
        return summarise(values, DEFAULT_SEED, RESAMPLES);
    }

    /** Mean and percentile bootstrap interval of values; with one value the interval is that value. */
    public static Summary summarise(double[] values, long seed, int resamples) {
        int n = values.length;
        double mean = mean(values);
        if (n == 1 || !Double.isFinite(mean)) return new Summary(mean, mean, mean, n);
        RandomGenerator rng = new Well19937c(seed);
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += values[rng.nextInt(n)];
            means[r] = s / n;
        }
        Percentile p = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
        p.setData(means);
        double alpha = (1 - LEVEL) / 2;
        return new Summary(mean, p.evaluate(100 * alpha), p.evaluate(100 * (1 - alpha)), n);
    }
}
