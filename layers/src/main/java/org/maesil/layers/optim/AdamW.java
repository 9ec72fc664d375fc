package org.maesil.layers.optim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.maesil.layers.Parameter;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * AdamW as {@code torch.optim.AdamW} (decoupled weight decay, bias-corrected moments, amsgrad
 * off), on {@link Backend#adamw}. For step t = 1, 2, ...:
 * <pre>
 *   m = beta1 m + (1 - beta1) g          v = beta2 v + (1 - beta2) g^2
 *   p = p - lr * ( m / (1 - beta1^t) / (sqrt(v / (1 - beta2^t)) + eps)  +  wd * p )
 * </pre>
 * with wd = weightDecay for parameters whose {@link Parameter#decay} is true and 0 otherwise
 * (MAE: no decay on biases, norms, tokens and positional embeddings).
 *
 * <p>The learning rate is passed to each {@link #step(double)} (take it from a
 * {@link WarmupCosineSchedule}). State: the step count and per parameter the moments
 * {@code exp_avg} (m) and {@code exp_avg_sq} (v), named as in PyTorch's optimizer state,
 * exported by {@link #stateTensors()} under {@link #EXP_AVG} / {@link #EXP_AVG_SQ} + parameter
 * name and restored by {@link #loadState}; {@code org.maesil.layers.io.Checkpoint} stores them.
 */
public final class AdamW {
    /** Key prefix of the first moment of a parameter in {@link #stateTensors()}. */
    public static final String EXP_AVG = "optimizer.exp_avg.";
    /** Key prefix of the second moment of a parameter in {@link #stateTensors()}. */
    public static final String EXP_AVG_SQ = "optimizer.exp_avg_sq.";

    public final float beta1, beta2, eps, weightDecay;
    private final Backend be;
    private final List<Parameter> params;
    private final Tensor[] m, v;
    private long step;

    public AdamW(Backend backend, List<Parameter> params, float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW: need eps > 0 and weightDecay >= 0, got " + eps + ", " + weightDecay);
        }
        Set<String> names = new HashSet<>();
        for (Parameter p : params) {
            if (!names.add(p.name)) throw new IllegalArgumentException("AdamW: parameter name '" + p.name + "' appears twice");
        }
        this.be = backend;
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new Tensor[params.size()];
        this.v = new Tensor[params.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = new Tensor(params.get(i).value.shape());
            v[i] = new Tensor(params.get(i).value.shape());
        }
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8. MAE pre-training uses betas (0.9, 0.95). */
    public AdamW(Backend backend, List<Parameter> params, float weightDecay) {
        this(backend, params, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    public List<Parameter> parameters() { return params; }

    /** Number of steps taken so far (PyTorch's state "step"). */
    public long stepCount() { return step; }

    /** One update of every parameter from its current gradient, with learning rate {@code lr}. */
    public void step(double lr) {
        step++;
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2 = (float) (1 - Math.pow(beta2, step));
        for (int i = 0; i < m.length; i++) {
            Parameter p = params.get(i);
            be.adamw(p.value.data, p.grad.data, m[i].data, v[i].data, p.size(), (float) lr,
                    beta1, beta2, eps, p.decay ? weightDecay : 0f, bc1, bc2);
        }
    }

    /** The moments, live (not copies), keyed {@code EXP_AVG + name} and {@code EXP_AVG_SQ + name}. */
    public Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) out.put(EXP_AVG + params.get(i).name, m[i]);
        for (int i = 0; i < v.length; i++) out.put(EXP_AVG_SQ + params.get(i).name, v[i]);
        return out;
    }

    /**
     * Restores the step count and copies the moments from {@code tensors} (which may hold other
     * keys too). Every moment must be present with the parameter's shape; on any mismatch
     * nothing is changed and the error names {@code source} and the key.
     */
    public void loadState(Map<String, Tensor> tensors, long step, String source) {
        if (step < 0) throw new IllegalArgumentException(source + ": optimizer step " + step + " is negative");
        List<Tensor[]> copies = new ArrayList<>();
        for (int i = 0; i < m.length; i++) {
            copies.add(new Tensor[] {checked(tensors, EXP_AVG, i, source), checked(tensors, EXP_AVG_SQ, i, source)});
        }
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(copies.get(i)[0].data, 0, m[i].data, 0, m[i].size());
            System.arraycopy(copies.get(i)[1].data, 0, v[i].data, 0, v[i].size());
        }
        this.step = step;
    }

    private Tensor checked(Map<String, Tensor> tensors, String prefix, int i, String source) {
        String key = prefix + params.get(i).name;
        Tensor t = tensors.get(key);
        if (t == null) throw new IllegalArgumentException(source + ": optimizer state '" + key + "' is missing");
        if (!java.util.Arrays.equals(t.shape(), params.get(i).value.shape())) {
            throw new IllegalArgumentException(source + ": optimizer state '" + key + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + ", expected " + java.util.Arrays.toString(params.get(i).value.shape()));
        }
        return t;
    }
}
