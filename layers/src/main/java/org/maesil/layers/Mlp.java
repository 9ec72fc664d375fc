package org.maesil.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * timm's {@code Mlp}: fc1 (dim -> hidden) - GELU - fc2 (hidden -> dim), no dropout.
 * Input and output [..., dim]. Parameters {@code prefix.fc1.weight/bias}, {@code prefix.fc2.weight/bias}.
 */
public final class Mlp implements Layer {
    public final Linear fc1;
    public final Gelu act;
    public final Linear fc2;
    private boolean recomputeActivation;   // with a workspace: the GELU output is not kept
    private Tensor hidden;                 // fc1's output (GELU's input)

    /** @param rng initialises fc1 then fc2 (xavier-uniform weights, zero biases); null leaves zeros */
    public Mlp(Backend backend, String prefix, int dim, int hidden, SplittableRandom rng) {
        this.fc1 = new Linear(backend, Module.join(prefix, "fc1"), dim, hidden, true, rng);
        this.act = new Gelu(backend);
        this.fc2 = new Linear(backend, Module.join(prefix, "fc2"), hidden, dim, true, rng);
    }

    /**
     * Takes the gradient buffers of fc1, the activation and fc2 from a shared workspace, and the
     * GELU output too: backward then recomputes GELU(fc1 output), which fc2's weight gradient
     * reads (one cheap elementwise pass instead of keeping a [rows, hidden] copy per layer). See
     * {@link Workspace}.
     */
    public Mlp useWorkspace(Workspace workspace, String role) {
        fc1.useWorkspace(workspace, Module.join(role, "fc1"), false);
        act.useWorkspace(workspace, Module.join(role, "act"), true);
        recomputeActivation = true;
        fc2.useWorkspace(workspace, Module.join(role, "fc2"), false);
        return this;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>(fc1.parameters());
        p.addAll(fc2.parameters());
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        hidden = fc1.forward(x);
        return fc2.forward(act.forward(hidden));
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (recomputeActivation) act.forward(hidden);   // refills fc2's input (the same workspace buffer)
        return fc1.backward(act.backward(fc2.backward(dy)));
    }
}
