package org.maesil.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * Pre-norm transformer block, timm's ViT {@code Block} as used by MAE (no dropout, no drop
 * path, no layer scale): h = x + attn(norm1(x)); y = h + mlp(norm2(h)).
 *
 * <p>Input and output [B, L, dim]. Parameters, in order: {@code prefix.norm1.weight/bias},
 * {@code prefix.attn.qkv.weight/bias}, {@code prefix.attn.proj.weight/bias},
 * {@code prefix.norm2.weight/bias}, {@code prefix.mlp.fc1.weight/bias},
 * {@code prefix.mlp.fc2.weight/bias} - the state_dict keys of timm's Block under the same prefix
 * (e.g. "blocks.0", "decoder_blocks.2").
 */
public final class TransformerBlock implements Layer {
    public final int dim;
    public final LayerNorm norm1;
    public final MultiHeadSelfAttention attn;
    public final LayerNorm norm2;
    public final Mlp mlp;
    private final Backend be;
    private final String name;

    private Tensor x, h, y, dh, dx;
    private Workspace ws;     // when set: the gradient temporaries live there (dx stays per block)

    /**
     * @param mlpRatio hidden width of the MLP = (int) (dim * mlpRatio) (timm's default 4)
     * @param lnEps    layer-norm eps (MAE: {@link LayerNorm#MAE_EPS} = 1e-6)
     * @param rng      initialises the Linear weights in module order (xavier-uniform, as MAE); null leaves zeros
     */
    public TransformerBlock(Backend backend, String prefix, int dim, int heads, double mlpRatio,
                            boolean qkvBias, float lnEps, SplittableRandom rng) {
        this.be = backend;
        this.name = prefix;
        this.dim = dim;
        this.norm1 = new LayerNorm(backend, Module.join(prefix, "norm1"), dim, lnEps);
        this.attn = new MultiHeadSelfAttention(backend, Module.join(prefix, "attn"), dim, heads, qkvBias, rng);
        this.norm2 = new LayerNorm(backend, Module.join(prefix, "norm2"), dim, lnEps);
        this.mlp = new Mlp(backend, Module.join(prefix, "mlp"), dim, (int) (dim * mlpRatio), rng);
    }

    /** MAE's block: mlp ratio 4, qkv bias, layer-norm eps 1e-6. */
    public TransformerBlock(Backend backend, String prefix, int dim, int heads, SplittableRandom rng) {
        this(backend, prefix, dim, heads, 4.0, true, LayerNorm.MAE_EPS, rng);
    }

    /**
     * Shares this block's temporaries with the other blocks of its stack through {@code workspace}
     * (give each stack of one width its own): the forward qkv projection and attention output, and
     * every gradient buffer of backward except the returned input gradient. The outputs of the
     * two layer norms and of GELU go there too; backward recomputes them (cheap elementwise and
     * row passes, bit-identical) before the linear layers that read them. The other activations
     * that backward reads (block input, h, q, k, v, merged heads, fc1's output) stay per block.
     */
    public TransformerBlock useWorkspace(Workspace workspace) {
        this.ws = workspace;
        norm1.useWorkspace(workspace, "norm1", true);
        attn.useWorkspace(workspace, "attn");
        norm2.useWorkspace(workspace, "norm2", true);
        mlp.useWorkspace(workspace, "mlp");
        return this;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>(norm1.parameters());
        p.addAll(attn.parameters());
        p.addAll(norm2.parameters());
        p.addAll(mlp.parameters());
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 3 || x.dim(2) != dim) {
            throw new IllegalArgumentException(name + ": input " + x + " must be [B, L, " + dim + "]");
        }
        this.x = x;
        int n = x.size();
        // the residual sums go in place into the outputs of attn.proj and mlp.fc2 (backward of
        // those Linears reads their inputs only), so h and y take no buffers of their own
        Tensor a = attn.forward(norm1.forward(x));
        be.add(x.data, a.data, a.data, n);
        h = a;
        Tensor m = mlp.forward(norm2.forward(h));
        be.add(h.data, m.data, m.data, n);
        y = m;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException(name + ": backward before forward");
        Buffers.requireShape(name, "output gradient", dy, x.shape());
        int n = x.size();
        dh = ws != null ? ws.get("dh", x.shape()) : Buffers.ensure(dh, x.shape());
        dx = Buffers.ensure(dx, x.shape());
        if (ws != null) norm2.forward(h);   // recompute fc1's input (the workspace held another block's)
        Tensor dFromMlp = norm2.backward(mlp.backward(dy));
        be.add(dy.data, dFromMlp.data, dh.data, n);
        if (ws != null) norm1.forward(x);   // recompute qkv's input
        Tensor dFromAttn = norm1.backward(attn.backward(dh));
        be.add(dh.data, dFromAttn.data, dx.data, n);
        return dx;
    }
}
