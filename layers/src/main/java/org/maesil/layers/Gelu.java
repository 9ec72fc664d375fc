package org.maesil.layers;

import java.util.List;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/** GELU activation, exact (erf) form as PyTorch's default {@code nn.GELU()}: y = x Phi(x). Any shape; no parameters. */
public final class Gelu implements Layer {
    private final Backend be;
    private Tensor x, y, dx;
    private Workspace ws;     // when set, dx (and y if outputInWorkspace) live there
    private String role;
    private boolean outputInWorkspace;

    public Gelu(Backend backend) { this.be = backend; }

    /**
     * Takes the input-gradient buffer from a shared workspace ({@code role + ".dx"}), and with
     * {@code output} also the output buffer ({@code role + ".y"}: backward reads only the input,
     * but a caller that needs the output again must recompute it). See {@link Workspace}.
     */
    public Gelu useWorkspace(Workspace workspace, String role, boolean output) {
        this.ws = workspace;
        this.role = role;
        this.outputInWorkspace = output;
        return this;
    }

    @Override
    public List<Parameter> parameters() { return List.of(); }

    @Override
    public Tensor forward(Tensor x) {
        this.x = x;
        y = outputInWorkspace ? ws.get(role + ".y", x.shape()) : Buffers.ensure(y, x.shape());
        be.geluForward(x.data, y.data, x.size());
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException("Gelu: backward before forward");
        Buffers.requireShape("Gelu", "output gradient", dy, x.shape());
        dx = ws != null ? ws.get(role + ".dx", x.shape()) : Buffers.ensure(dx, x.shape());
        be.geluBackward(x.data, dy.data, dx.data, x.size());
        return dx;
    }
}
