package org.maesil.tensor.kernels;

/**
 * One AdamW step (Loshchilov and Hutter; decoupled weight decay, bias-corrected moments), in
 * the operation order of PyTorch's torch.optim.AdamW (single-tensor path):
 * p = p (1 - lr wd); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p = p - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), with bc1 = 1 - b1^t, bc2 = 1 - b2^t.
 */
public final class AdamW {
    private AdamW() {}

    /** Updates p[i], m[i], v[i] from g[i] as above. */
    public static void stepElement(float[] p, float[] g, float[] m, float[] v,
                                   float lr, float beta1, float beta2, float eps, float weightDecay,
                                   float bc1, float bc2, int i) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1f - beta1) * gi;
        float vi = beta2 * v[i] + (1f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float decayed = p[i] * (1f - lr * weightDecay);
        float denom = (float) Math.sqrt(vi) / (float) Math.sqrt(bc2) + eps;
        float stepSize = lr / bc1;
        p[i] = decayed - stepSize * mi / denom;
    }
}
