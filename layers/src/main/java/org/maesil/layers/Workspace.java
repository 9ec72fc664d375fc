package org.maesil.layers;

import java.util.HashMap;
import java.util.Map;
import org.maesil.tensor.Tensor;

/**
 * Scratch tensors shared by layers that never need them at the same time.
 *
 * <p>The typical user is a stack of identical transformer blocks. During backward, block i's
 * gradient temporaries (dq, dk, dv, the MLP's hidden gradient, ...) are dead once block i's
 * backward has returned, so block i-1 can write into the same arrays; likewise a forward
 * temporary such as the qkv projection (copied into per-head q, k, v right away). With one
 * workspace per stack, a depth-12 encoder keeps one set of these buffers instead of twelve.
 *
 * <p>A buffer is named by its role inside a block ("attn.dq", "mlp.fc2.dx") and replaced when
 * the wanted shape changes (so give stacks of different widths their own workspace). Contract
 * for a layer that takes its buffers from a workspace: the data of a workspace buffer is only
 * valid until the next call of a layer with the same role, i.e. a returned gradient must be
 * consumed by the caller before the next block of the stack runs (a block's own returned input
 * gradient is therefore not a workspace buffer).
 */
public final class Workspace {
    private final Map<String, Tensor> buffers = new HashMap<>();

    /** The buffer of this role, (re)allocated as a zero tensor when missing or of another shape. */
    public Tensor get(String role, int... shape) {
        Tensor t = buffers.get(role);
        if (t == null || !Buffers.sameShape(t, shape)) {
            t = new Tensor(shape);
            buffers.put(role, t);
        }
        return t;
    }

    /** Bytes held by the buffers (float32). */
    public long bytes() {
        long b = 0;
        for (Tensor t : buffers.values()) b += 4L * t.size();
        return b;
    }
}
