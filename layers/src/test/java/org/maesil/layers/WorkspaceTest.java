package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.maesil.layers.init.Init;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/**
 * A stack of transformer blocks that shares its temporaries through one {@link Workspace}
 * (recomputing the norm and GELU outputs in backward) computes exactly the same outputs,
 * input gradients and parameter gradients as the same stack with per-layer buffers, also
 * when a second step with other data reuses the shared buffers.
 */
class WorkspaceTest {

    static TransformerBlock[] stack(JavaBackend be, boolean shared) {
        SplittableRandom rng = new SplittableRandom(5);
        Workspace ws = new Workspace();
        TransformerBlock[] blocks = new TransformerBlock[3];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new TransformerBlock(be, "blocks." + i, 32, 4, rng);
            for (Parameter p : blocks[i].parameters()) {
                if (p.name.endsWith("bias") || p.name.contains("norm")) Init.normal(p.value, 0.5, 0.2, rng); // not the trivial init
            }
            if (shared) blocks[i].useWorkspace(ws);
        }
        return blocks;
    }

    /** Forward and backward through the stack; returns output, input gradient and every parameter gradient (copies). */
    static List<float[]> step(TransformerBlock[] blocks, Tensor x, Tensor dy) {
        Tensor h = x;
        for (TransformerBlock b : blocks) h = b.forward(h);
        List<float[]> out = new ArrayList<>();
        out.add(h.data.clone());
        Tensor g = dy;
        for (int i = blocks.length - 1; i >= 0; i--) g = blocks[i].backward(g);
        out.add(g.data.clone());
        for (TransformerBlock b : blocks) for (Parameter p : b.parameters()) out.add(p.grad.data.clone());
        return out;
    }

    @Test
    void sharedWorkspaceGivesBitIdenticalResults() {
        try (JavaBackend be = new JavaBackend(2)) {
            TransformerBlock[] own = stack(be, false), shared = stack(be, true);
            SplittableRandom rng = new SplittableRandom(9);
            for (int s = 0; s < 2; s++) {
                Tensor x = new Tensor(2, 20, 32), dy = new Tensor(2, 20, 32);
                Init.normal(x, 0, 1, rng);
                Init.normal(dy, 0, 1, rng);
                List<float[]> a = step(own, x, dy), b = step(shared, x, dy);
                assertThat(b).hasSameSizeAs(a);
                for (int i = 0; i < a.size(); i++) {
                    assertThat(b.get(i)).as("step %d, result %d", s, i).containsExactly(a.get(i));
                }
            }
        }
    }
}
