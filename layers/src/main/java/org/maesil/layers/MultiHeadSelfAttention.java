package org.maesil.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * Multi-head self-attention as timm's ViT {@code Attention} (used by MAE), without dropout:
 * qkv = Linear(dim, 3 dim); split into H heads of hd = dim / H; per head
 * softmax(q k^T / sqrt(hd)) v through the engine's tiled online-softmax kernel
 * ({@link Backend#attentionForward}, memory linear in L); heads merged; proj = Linear(dim, dim).
 *
 * <p>Input and output [B, L, dim]. Parameters {@code prefix.qkv.weight} [3 dim, dim],
 * {@code prefix.qkv.bias} [3 dim] (if qkvBias; MAE uses qkv_bias=True), {@code prefix.proj.weight},
 * {@code prefix.proj.bias}. The qkv output channels are ordered (q|k|v, head, j) as in timm.
 *
 * <p>Note for optimiser parity tests: the key part of {@code qkv.bias} (elements [dim, 2 dim))
 * has an exactly zero gradient in exact arithmetic (adding one vector to every key shifts each
 * score row by a constant, which softmax ignores). In float32 its gradient is rounding noise
 * (~1e-7 of the other gradients), and Adam normalises noise to steps of about lr, while a float64
 * PyTorch reference sees ~1e-16 and stays put. Compare that slice with an absolute bound of a few
 * lr per step, or exclude it, rather than with a relative one.
 */
public final class MultiHeadSelfAttention implements Layer {
    public final int dim;
    public final int heads;
    public final int headDim;
    public final float scale;
    public final Linear qkv;
    public final Linear proj;
    private final Backend be;
    private final String name;

    private int B = -1, L = -1;
    private Tensor q, k, v, o, lse, merged;          // forward
    private Tensor dO, dq, dk, dv, delta, dqkv;      // backward
    private Workspace ws;     // when set: o and the backward buffers live there (role-prefixed)
    private String role;

    /** @param rng initialises qkv then proj (xavier-uniform weights, zero biases); null leaves zeros */
    public MultiHeadSelfAttention(Backend backend, String prefix, int dim, int heads, boolean qkvBias, SplittableRandom rng) {
        if (heads < 1 || dim % heads != 0) {
            throw new IllegalArgumentException(prefix + ": dim " + dim + " is not divisible by heads " + heads);
        }
        this.be = backend;
        this.name = prefix;
        this.dim = dim;
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.qkv = new Linear(backend, Module.join(prefix, "qkv"), dim, 3 * dim, qkvBias, rng);
        this.proj = new Linear(backend, Module.join(prefix, "proj"), dim, dim, true, rng);
    }

    /**
     * Takes the temporaries from a shared workspace (see {@link Workspace}): the qkv projection
     * (copied into q, k, v at once), the attention output o in head layout (merged's copy; backward
     * rebuilds it from merged), and every backward buffer. Kept per layer: q, k, v, lse, merged.
     */
    public MultiHeadSelfAttention useWorkspace(Workspace workspace, String role) {
        this.ws = workspace;
        this.role = role;
        qkv.useWorkspace(workspace, Module.join(role, "qkv"), true);
        proj.useWorkspace(workspace, Module.join(role, "proj"), false);
        return this;
    }

    /** {@code own} (reused while its shape fits) or, with a workspace, the workspace's buffer {@code name}. */
    private Tensor buffer(Tensor own, String name, int... shape) {
        return ws != null ? ws.get(Module.join(role, name), shape) : Buffers.ensure(own, shape);
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>(qkv.parameters());
        p.addAll(proj.parameters());
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 3 || x.dim(2) != dim) {
            throw new IllegalArgumentException(name + ": input " + x + " must be [B, L, " + dim + "]");
        }
        B = x.dim(0);
        L = x.dim(1);
        int bh = B * heads;
        Tensor t = qkv.forward(x);                               // [B, L, 3 dim]
        q = Buffers.ensure(q, bh, L, headDim);
        k = Buffers.ensure(k, bh, L, headDim);
        v = Buffers.ensure(v, bh, L, headDim);
        o = buffer(o, "o", bh, L, headDim);
        lse = Buffers.ensure(lse, bh, L);
        merged = Buffers.ensure(merged, B, L, dim);
        HeadKernels.splitQkv(t.data, q.data, k.data, v.data, B, L, heads, headDim);
        be.attentionForward(q.data, k.data, v.data, o.data, lse.data, bh, L, L, headDim, scale);
        HeadKernels.mergeHeads(o.data, merged.data, B, L, heads, headDim);
        return proj.forward(merged);
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (B < 0) throw new IllegalStateException(name + ": backward before forward");
        Buffers.requireShape(name, "output gradient", dy, B, L, dim);
        int bh = B * heads;
        Tensor dMerged = proj.backward(dy);                      // [B, L, dim]
        if (ws != null) {
            // o lives in the shared workspace (another block may have overwritten it): merged holds the same numbers
            o = buffer(o, "o", bh, L, headDim);
            HeadKernels.splitHeads(merged.data, o.data, B, L, heads, headDim);
        }
        dO = buffer(dO, "dO", bh, L, headDim);
        dq = buffer(dq, "dq", bh, L, headDim);
        dk = buffer(dk, "dk", bh, L, headDim);
        dv = buffer(dv, "dv", bh, L, headDim);
        delta = buffer(delta, "delta", bh, L);
        dqkv = buffer(dqkv, "dqkv", B, L, 3 * dim);
        HeadKernels.splitHeads(dMerged.data, dO.data, B, L, heads, headDim);
        be.attentionBackward(q.data, k.data, v.data, o.data, lse.data, dO.data,
                dq.data, dk.data, dv.data, delta.data, bh, L, L, headDim, scale);
        HeadKernels.mergeQkv(dq.data, dk.data, dv.data, dqkv.data, B, L, heads, headDim);
        return qkv.backward(dqkv);
    }
}
