package org.maesil.layers.optim;

import java.util.List;
import org.maesil.layers.Parameter;
import org.maesil.tensor.Backend;

/** Whole-model gradient checks: global L2 norm, clipping, and a finiteness check with a name. */
public final class Gradients {
    private Gradients() {}

    /** sqrt(sum over all parameters of sum grad^2), accumulated in double ({@link Backend#sumOfSquares}). NaN or infinite if any gradient element is. */
    public static double globalNorm(Backend be, List<Parameter> params) {
        double s = 0;
        for (Parameter p : params) s += be.sumOfSquares(p.grad.data, p.size());
        return Math.sqrt(s);
    }

    /**
     * As {@code torch.nn.utils.clip_grad_norm_}: when the global norm exceeds maxNorm, scales every
     * gradient by maxNorm / (norm + 1e-6). Returns the norm before clipping (not finite: nothing scaled).
     */
    public static double clipGlobalNorm(Backend be, List<Parameter> params, double maxNorm) {
        double norm = globalNorm(be, params);
        if (!Double.isFinite(norm)) return norm;
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) be.scale(p.grad.data, (float) coef, p.grad.data, p.size());
        }
        return norm;
    }

    /**
     * Name of the first parameter whose gradient (gradients = true) or value (false) holds a NaN
     * or infinity, or null if all are finite. One sumOfSquares per parameter.
     */
    public static String firstNonFinite(Backend be, List<Parameter> params, boolean gradients) {
        for (Parameter p : params) {
            float[] a = gradients ? p.grad.data : p.value.data;
            if (!Double.isFinite(be.sumOfSquares(a, p.size()))) return p.name;
        }
        return null;
    }
}
