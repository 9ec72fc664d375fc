package org.maesil.layers.optim;

/**
 * MAE's learning-rate schedule ({@code util/lr_sched.adjust_learning_rate}): linear warm-up from
 * 0 to {@code baseLr}, then half-cosine decay to {@code minLr}:
 * <pre>
 *   t &lt; warmup:  lr = baseLr * t / warmup
 *   otherwise:   lr = minLr + (baseLr - minLr) * 0.5 * (1 + cos(pi * (t - warmup) / (total - warmup)))
 * </pre>
 * t, warmup and total share one unit: MAE uses fractional epochs, t = step / stepsPerEpoch
 * (see {@link #epochs(long, long)}), set before every step; plain step counts work the same.
 * As in MAE the very first step (t = 0) has lr 0 when warmup &gt; 0. Past {@code total} the lr stays
 * at {@code minLr} (MAE would start rising again).
 */
public final class WarmupCosineSchedule {
    public final double baseLr, minLr, warmup, total;

    public WarmupCosineSchedule(double baseLr, double minLr, double warmup, double total) {
        if (!(baseLr >= 0 && minLr >= 0 && warmup >= 0 && total > warmup)) {
            throw new IllegalArgumentException("WarmupCosineSchedule: need baseLr >= 0, minLr >= 0, 0 <= warmup < total; got baseLr="
                    + baseLr + " minLr=" + minLr + " warmup=" + warmup + " total=" + total);
        }
        this.baseLr = baseLr;
        this.minLr = minLr;
        this.warmup = warmup;
        this.total = total;
    }

    /** Learning rate at progress {@code t} (same unit as warmup and total). */
    public double lr(double t) {
        if (t < warmup) return baseLr * t / warmup;
        double p = Math.min(t, total);
        return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * (p - warmup) / (total - warmup)));
    }

    /** Fractional epoch of global step {@code step} (0-based) with {@code stepsPerEpoch} steps per epoch. */
    public static double epochs(long step, long stepsPerEpoch) {
        if (stepsPerEpoch < 1) throw new IllegalArgumentException("stepsPerEpoch must be >= 1");
        return (double) step / stepsPerEpoch;
    }
}
