package org.maesil.layers;

import java.util.List;
import java.util.SplittableRandom;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * Fully connected layer, as PyTorch's {@code nn.Linear}: y = x W^T + b.
 *
 * <p>Input x: [..., in] (any number of leading dimensions, treated as rows); output
 * [..., out]. Weight stored [out, in] like PyTorch, bias [out] (optional). Parameter names:
 * {@code prefix.weight}, {@code prefix.bias} (just "weight", "bias" for an empty prefix); the bias has no weight decay.
 * Initialisation as MAE: weight xavier-uniform (fanIn = in, fanOut = out), bias zero.
 * See {@link Layer} for the forward/backward and buffer contract.
 */
public final class Linear implements Layer {
    public final int in;
    public final int out;
    public final Parameter weight;
    /** Null when the layer has no bias. */
    public final Parameter bias;
    private final Backend be;
    private final String name;
    private boolean inputGrad = true;

    private Tensor x;   // last input (reference)
    private Tensor y;   // output buffer
    private Tensor dx;  // input-gradient buffer
    private Workspace ws;             // when set: dx (and y if outputInWorkspace) live there
    private String role;
    private boolean outputInWorkspace;

    /**
     * @param prefix parameter name prefix, e.g. "blocks.0.attn.qkv"
     * @param rng    draws the xavier-uniform weight; null leaves weight and bias zero (for loading)
     */
    public Linear(Backend backend, String prefix, int in, int out, boolean bias, SplittableRandom rng) {
        if (in < 1 || out < 1) throw new IllegalArgumentException(prefix + ": Linear sizes must be >= 1, got " + in + " -> " + out);
        this.be = backend;
        this.name = prefix;
        this.in = in;
        this.out = out;
        this.weight = new Parameter(Module.join(prefix, "weight"), new Tensor(out, in), true);
        this.bias = bias ? new Parameter(Module.join(prefix, "bias"), new Tensor(out), false) : null;
        if (rng != null) Init.xavierUniform(weight.value, in, out, rng);
    }

    /** Switches the input gradient off (backward then returns null), e.g. for a first layer. */
    public Linear computeInputGradient(boolean on) { this.inputGrad = on; return this; }

    /**
     * Takes the input-gradient buffer from a shared workspace, under {@code role + ".dx"}, and
     * with {@code output} also the output buffer ({@code role + ".y"}): only for an output the
     * caller consumes before the next layer of the same role runs (backward needs the input,
     * not the output). See {@link Workspace}.
     */
    public Linear useWorkspace(Workspace workspace, String role, boolean output) {
        this.ws = workspace;
        this.role = role;
        this.outputInWorkspace = output;
        return this;
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException(name + ": input " + x + " must end with " + in);
        }
        int rows = Buffers.leadingRows(x);
        this.x = x;
        int[] shape = Buffers.withLast(x.shape(), out);
        y = outputInWorkspace ? ws.get(role + ".y", shape) : Buffers.ensure(y, shape);
        // y[rows, out] = x[rows, in] W[out, in]^T
        be.matmul(x.data, weight.value.data, y.data, rows, out, in, false, true, false);
        if (bias != null) be.addBias(y.data, bias.value.data, y.data, rows, out);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException(name + ": backward before forward");
        Buffers.requireShape(name, "output gradient", dy, y.shape());
        int rows = Buffers.leadingRows(x);
        // dW[out, in] = dy[rows, out]^T x[rows, in]
        be.matmul(dy.data, x.data, weight.grad.data, out, in, rows, true, false, false);
        if (bias != null) be.sumRows(dy.data, bias.grad.data, rows, out);
        if (!inputGrad) return null;
        dx = ws != null ? ws.get(role + ".dx", x.shape()) : Buffers.ensure(dx, x.shape());
        // dx[rows, in] = dy[rows, out] W[out, in]
        be.matmul(dy.data, weight.value.data, dx.data, rows, in, out, false, false, false);
        return dx;
    }
}
