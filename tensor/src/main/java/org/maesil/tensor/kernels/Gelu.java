package org.maesil.tensor.kernels;

/**
 * The exact GELU, gelu(x) = x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2 (torch.nn.GELU()'s
 * default, approximate = 'none'), and its derivative gelu'(x) = Phi(x) + x exp(-x^2/2) / sqrt(2 pi).
 *
 * <p>Java has no erf, so {@link #complementaryErrorFunction} (erfc) is the Chebyshev fit of
 * Numerical Recipes ("erfcc", fractional error below 1.2e-7 for every argument), evaluated in
 * double. Phi is computed as erfc(-x / sqrt 2) / 2, which keeps its relative accuracy for very
 * negative x, where 1 + erf(x / sqrt 2) would cancel. (The helpers are not named erf and erfc:
 * those are OpenCL built-ins, and TornadoVM emits one function per Java method.)
 */
public final class Gelu {
    private Gelu() {}

    private static final double SQRT_HALF = 0.70710678118654752440;
    private static final double INV_SQRT_2PI = 0.39894228040143267794;
    private static final double TWO_OVER_SQRT_PI = 1.12837916709551257390;

    /** erfc(z) = 2/sqrt(pi) int_z^inf exp(-t^2) dt, fractional error < 1.2e-7 (Numerical Recipes erfcc). */
    public static double complementaryErrorFunction(double z) {
        double a = Math.abs(z);
        double t = 1.0 / (1.0 + 0.5 * a);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277))))))));
        double tail = t * Math.exp(-a * a + poly);
        return z >= 0.0 ? tail : 2.0 - tail;
    }

    /** erf(z) = 2/sqrt(pi) int_0^z exp(-t^2) dt: its Taylor series for |z| < 0.5 (relative error < 1e-10), else 1 - erfc(|z|) with the sign of z (absolute error < 1.2e-7). */
    public static double errorFunction(double z) {
        double a = Math.abs(z);
        if (a < 0.5) {
            // sum_n (-1)^n z^(2n+1) / (n! (2n+1)), n = 0..8
            double z2 = z * z;
            double power = z;       // (-1)^n z^(2n+1) / n!
            double sum = 0.0;
            for (int n = 0; n <= 8; n++) {
                sum += power / (2 * n + 1);
                power = -power * z2 / (n + 1);
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        double e = 1.0 - complementaryErrorFunction(a);
        return z >= 0.0 ? e : -e;
    }

    /** Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF. */
    public static double normalCdf(double x) {
        return 0.5 * complementaryErrorFunction(-x * SQRT_HALF);
    }

    /** y_i = x_i Phi(x_i). */
    public static void geluForwardElement(float[] x, float[] y, int i) {
        double xi = x[i];
        y[i] = (float) (xi * normalCdf(xi));
    }

    /** dx_i = dy_i (Phi(x_i) + x_i exp(-x_i^2 / 2) / sqrt(2 pi)). */
    public static void geluBackwardElement(float[] x, float[] dy, float[] dx, int i) {
        double xi = x[i];
        double derivative = normalCdf(xi) + xi * Math.exp(-0.5 * xi * xi) * INV_SQRT_2PI;
        dx[i] = (float) (dy[i] * derivative);
    }
}
