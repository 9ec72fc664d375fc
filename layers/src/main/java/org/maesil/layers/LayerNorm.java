package org.maesil.layers;

import java.util.List;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * Layer normalisation over the last dimension, as PyTorch's {@code nn.LayerNorm(dim, eps)}:
 * y = (x - mean) / sqrt(var + eps) * weight + bias, biased variance.
 *
 * <p>Input [..., dim], output of the same shape. Parameters {@code prefix.weight} (ones)
 * and {@code prefix.bias} (zeros), both without weight decay. MAE and timm's ViT use
 * eps = 1e-6 ({@link #MAE_EPS}); PyTorch's default is 1e-5.
 */
public final class LayerNorm implements Layer {
    /** The eps of MAE's {@code partial(nn.LayerNorm, eps=1e-6)}. */
    public static final float MAE_EPS = 1e-6f;

    public final int dim;
    public final float eps;
    public final Parameter weight;
    public final Parameter bias;
    private final Backend be;
    private final String name;

    private Tensor x, y, dx, mean, rstd;
    private Workspace ws;     // when set, dx (and y if outputInWorkspace) live there
    private String role;
    private boolean outputInWorkspace;

    public LayerNorm(Backend backend, String prefix, int dim, float eps) {
        if (dim < 1) throw new IllegalArgumentException(prefix + ": LayerNorm dim must be >= 1");
        this.be = backend;
        this.name = prefix;
        this.dim = dim;
        this.eps = eps;
        this.weight = new Parameter(Module.join(prefix, "weight"), new Tensor(dim), false);
        this.bias = new Parameter(Module.join(prefix, "bias"), new Tensor(dim), false);
        weight.value.fill(1f);
    }

    /**
     * Takes the input-gradient buffer from a shared workspace ({@code role + ".dx"}), and with
     * {@code output} also the output buffer ({@code role + ".y"}: backward reads only the input
     * and the row statistics, but a caller that needs the output again must recompute it). See
     * {@link Workspace}.
     */
    public LayerNorm useWorkspace(Workspace workspace, String role, boolean output) {
        this.ws = workspace;
        this.role = role;
        this.outputInWorkspace = output;
        return this;
    }

    @Override
    public List<Parameter> parameters() { return List.of(weight, bias); }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 1 || x.dim(-1) != dim) {
            throw new IllegalArgumentException(name + ": input " + x + " must end with " + dim);
        }
        int rows = Buffers.leadingRows(x);
        this.x = x;
        y = outputInWorkspace ? ws.get(role + ".y", x.shape()) : Buffers.ensure(y, x.shape());
        mean = Buffers.ensure(mean, rows);
        rstd = Buffers.ensure(rstd, rows);
        be.layerNormForward(x.data, weight.value.data, bias.value.data, y.data, mean.data, rstd.data, rows, dim, eps);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException(name + ": backward before forward");
        Buffers.requireShape(name, "output gradient", dy, x.shape());
        int rows = Buffers.leadingRows(x);
        dx = ws != null ? ws.get(role + ".dx", x.shape()) : Buffers.ensure(dx, x.shape());
        be.layerNormBackward(x.data, weight.value.data, mean.data, rstd.data, dy.data,
                dx.data, weight.grad.data, bias.grad.data, rows, dim);
        return dx;
    }
}
