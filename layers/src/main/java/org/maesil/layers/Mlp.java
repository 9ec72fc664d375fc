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

    /** @param rng initialises fc1 then fc2 (xavier-uniform weights, zero biases); null leaves zeros */
    public Mlp(Backend backend, String prefix, int dim, int hidden, SplittableRandom rng) {
        this.fc1 = new Linear(backend, Module.join(prefix, "fc1"), dim, hidden, true, rng);
        this.act = new Gelu(backend);
        this.fc2 = new Linear(backend, Module.join(prefix, "fc2"), hidden, dim, true, rng);
    }

    /** Takes the gradient buffers of fc1, the activation and fc2 from a shared workspace (see {@link Workspace}). */
    public Mlp useWorkspace(Workspace workspace, String role) {
        fc1.useWorkspace(workspace, Module.join(role, "fc1"), false);
        act.useWorkspace(workspace, Module.join(role, "act"));
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
        return fc2.forward(act.forward(fc1.forward(x)));
    }

    @Override
    public Tensor backward(Tensor dy) {
        return fc1.backward(act.backward(fc2.backward(dy)));
    }
}
